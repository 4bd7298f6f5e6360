//! Every configured backend at once: the gateway hands each payload to all of them.

use super::{Forwarder, Payload};
use std::ops::Deref;
use std::time::Duration;

/// The gateway's forwarders (an HTTP and/or a NATS one; none when no servers are configured).
///
/// Derefs to the slice, so `forwarders.iter()`, `.first()` and `.len()` read as before.
#[derive(Debug, Default)]
pub struct Forwarders(Vec<Forwarder>);

impl From<Vec<Forwarder>> for Forwarders {
    fn from(v: Vec<Forwarder>) -> Self {
        Forwarders(v)
    }
}

impl Deref for Forwarders {
    type Target = [Forwarder];
    fn deref(&self) -> &[Forwarder] {
        &self.0
    }
}

impl Forwarders {
    /// Queues `payload` for every backend (no short-circuit: each gets it); `false` when any
    /// queue dropped it. The last backend gets the payload itself, the others a clone.
    pub fn forward(&self, payload: Payload) -> bool {
        let Some((last, rest)) = self.0.split_last() else {
            return true;
        };
        let dropped = rest.iter().filter(|f| !f.forward(payload.clone())).count();
        last.forward(payload) && dropped == 0
    }

    /// Delivers `payload` to every backend concurrently; `true` only when every one has it
    /// (billing data is confirmed only then). With no backend there is nowhere to hand frames
    /// on, so records are confirmed, as the Go proxy does.
    pub async fn forward_durable(&self, payload: Payload) -> bool {
        let all = futures::future::join_all(
            self.0
                .iter()
                .map(|f| Box::pin(f.forward_durable(payload.clone()))),
        );
        all.await.iter().all(Result::is_ok)
    }

    /// Shuts every forwarder down within `grace` (see [`Forwarder::shutdown`]); `true` when all
    /// drained in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        let all = futures::future::join_all(self.0.iter().map(|f| f.shutdown(grace)));
        all.await.into_iter().all(|drained| drained)
    }
}
