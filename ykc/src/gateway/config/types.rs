//! Value types of options that are more than a number or a string.

use crate::CrcOrder;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// Where forwarded frames and events go.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum MessagingServerType {
    /// HTTP `POST <endpoint>/<type hex>` to one of `servers`.
    #[default]
    Http,
    /// NATS publish to `charge.proxy.ykc.<type hex>` on the cluster `servers`.
    Nats,
}

impl fmt::Display for MessagingServerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if *self == Self::Nats { "nats" } else { "http" })
    }
}

/// A string that `Debug` never prints (the NATS password), so a logged
/// config cannot leak it.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

/// `default_crc_order` in YAML, read with [`CrcOrder`]'s `FromStr` (`le`, `be`) as
/// on the command line, inside serde_yaml so that its error names the key.
pub(super) fn de_crc_order<'de, D: Deserializer<'de>>(d: D) -> Result<CrcOrder, D::Error> {
    struct Order;
    impl Visitor<'_> for Order {
        type Value = CrcOrder;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a CRC byte order, le or be")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<CrcOrder, E> {
            s.parse().map_err(E::custom)
        }
    }
    d.deserialize_str(Order)
}

/// `servers` in YAML: a list, a single string, or null.
pub(super) fn de_servers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}
