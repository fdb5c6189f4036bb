//! Run the debugger without the CLI: `cargo run -p jwtkit-ui --example serve -- [PORT]`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(jwtkit_ui::DEFAULT_PORT);
    jwtkit_ui::serve(jwtkit_ui::UiConfig::new(port)).await
}
