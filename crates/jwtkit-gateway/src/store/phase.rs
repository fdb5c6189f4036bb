//! The failure policy the store phase of the pipeline applies per feature.

use crate::Shared;
use crate::config::StoreErrorPolicy;
use crate::store::config::{OnError, Policy};

/// `store.on_error`, unless the route says `on_store_error = "fail_open"` (both features open).
pub fn policy(shared: &Shared, route: StoreErrorPolicy) -> OnError {
    match route {
        StoreErrorPolicy::FailOpen => OnError {
            revocation: Policy::FailOpen,
            rate_limit: Policy::FailOpen,
        },
        StoreErrorPolicy::FailClosed => shared.state.load().config.store.on_error,
    }
}
