//! `ykc serve`: the gateway in front of the piles (issue 5; being built up).
//!
//! - [`config`]: every option and limit, from Go-compatible flags, `YKC_*` variables and a YAML file
//!   (annotated example: `ykc.example.yaml` at the repository root).
//! - [`args`]: the command line, including the Go `ykc-proxy-server` flags verbatim.
//! - [`forward`]: HTTP and NATS forwarding, fire-and-forget or durable (for billing records).

pub mod args;
pub mod config;
pub mod forward;
