//! What the nodes of a fleet say to each other over NATS: subjects, headers and the JSON of the
//! key-value entries. Requests carry a REST call's pieces as they came (path parts and query in
//! headers, the body as the payload), so the owning node runs the very handler a local caller
//! would, with the same validation, errors and audit line.

use super::FleetError;
use bytes::Bytes;

/// Key-value bucket: pile code → [`Presence`](super::Presence) JSON.
pub const PILES_BUCKET: &str = "ykc_piles";
/// Key-value bucket: node id → [`NodeInfo`] JSON, renewed every [`super::NODE_RENEW`].
pub const NODES_BUCKET: &str = "ykc_nodes";

/// Header: the pile code of a request.
pub const PILE: &str = "Ykc-Pile";
/// Header: the frame of a command (as written in the REST path).
pub const FRAME: &str = "Ykc-Frame";
/// Header: the REST query string of a command.
pub const QUERY: &str = "Ykc-Query";
/// Header: who asked (token name and address), for the owner's audit line.
pub const CALLER: &str = "Ykc-Caller";
/// Header: the newcomer's address on a login question.
pub const PEER: &str = "Ykc-Peer";
/// Header: an answer's HTTP status.
pub const STATUS: &str = "Ykc-Status";

/// What a request asks the owning node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Run `POST /piles/{pile}/commands/{frame}` there.
    Command,
    /// Run the Go proxy's `POST /proxy/{frame}` there.
    Proxy,
    /// `GET /piles/{pile}` there.
    Pile,
    /// A pile logs in on another node: may it (per the duplicate-login policy)?
    Login,
}

impl Ask {
    /// Every kind, for subscribing.
    pub const ALL: [Ask; 4] = [Ask::Command, Ask::Proxy, Ask::Pile, Ask::Login];

    fn token(self) -> &'static str {
        match self {
            Ask::Command => "cmd",
            Ask::Proxy => "proxy",
            Ask::Pile => "pile",
            Ask::Login => "login",
        }
    }

    /// The kind a subject's last token names.
    pub fn from_subject(subject: &str) -> Option<Ask> {
        let last = subject.rsplit('.').next()?;
        Ask::ALL.into_iter().find(|a| a.token() == last)
    }
}

/// The subject on which `node` answers `ask`: `ykc.node.<id>.<cmd|proxy|pile|login>`.
pub fn subject(node: &str, ask: Ask) -> String {
    format!("ykc.node.{node}.{}", ask.token())
}

/// What a node's liveness entry says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeInfo {
    /// When the node started (RFC 3339).
    pub started: String,
    /// Piles it holds now.
    pub piles: usize,
}

/// A request's pieces, as the answering side reads them.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The pile.
    pub pile: String,
    /// The frame of a command.
    pub frame: String,
    /// The REST query string of a command.
    pub query: String,
    /// Who asked.
    pub caller: String,
    /// The newcomer's address (login questions).
    pub peer: String,
    /// The REST body of a command.
    pub body: Bytes,
}

impl Request {
    /// The headers that carry this request's pieces.
    pub fn headers(&self) -> async_nats::HeaderMap {
        let mut h = async_nats::HeaderMap::new();
        for (name, value) in [
            (PILE, &self.pile),
            (FRAME, &self.frame),
            (QUERY, &self.query),
            (CALLER, &self.caller),
            (PEER, &self.peer),
        ] {
            if !value.is_empty() {
                h.insert(name, value.as_str());
            }
        }
        h
    }

    /// Reads a request from a NATS message.
    pub fn from_message(m: &async_nats::Message) -> Request {
        let get = |name: &str| {
            m.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default()
        };
        Request {
            pile: get(PILE),
            frame: get(FRAME),
            query: get(QUERY),
            caller: get(CALLER),
            peer: get(PEER),
            body: m.payload.clone(),
        }
    }
}

/// An answer: an HTTP status and a JSON body, as the REST handler produced them.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Bytes,
}

impl Reply {
    /// Reads an answer from a NATS message.
    pub fn from_message(m: &async_nats::Message) -> Result<Reply, FleetError> {
        let status = m
            .headers
            .as_ref()
            .and_then(|h| h.get(STATUS))
            .and_then(|v| v.as_str().parse().ok())
            .ok_or_else(|| FleetError::Protocol("answer without a Ykc-Status header".into()))?;
        Ok(Reply {
            status,
            body: m.payload.clone(),
        })
    }

    /// The headers of this answer.
    pub fn headers(&self) -> async_nats::HeaderMap {
        let mut h = async_nats::HeaderMap::new();
        h.insert(STATUS, self.status.to_string().as_str());
        h
    }
}

/// Whether `id` can be a node id: one NATS subject token and one key-value key, readable in
/// logs: letters, digits, `-` and `_`, at most 64.
pub fn valid_node_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_kinds_round_trip() {
        for ask in Ask::ALL {
            assert_eq!(Ask::from_subject(&subject("gw-1", ask)), Some(ask));
        }
        assert_eq!(subject("c", Ask::Command), "ykc.node.c.cmd");
        assert_eq!(Ask::from_subject("ykc.node.c.other"), None);
    }

    #[test]
    fn node_ids() {
        assert!(valid_node_id("gw-1_a"));
        assert!(!valid_node_id(""));
        assert!(!valid_node_id("a.b"));
        assert!(!valid_node_id("a b"));
        assert!(!valid_node_id(&"x".repeat(65)));
    }
}
