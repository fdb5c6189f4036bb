//! The issuer's Router in-process (tower `oneshot`, no sockets), with a clock the tests move.

mod assertion;
mod flows;
mod harness;
mod hostile;
mod keys;
mod refresh;
mod state;
