//! # ykc-vocab — the words of the YKC spec, defined once
//!
//! The spec (`spec/*.yaml`, read by `ykc-gen`), the `#[ykc(...)]` attributes (parsed by
//! `ykc-derive`) and the runtime metadata (`ykc::meta`) all speak of the same things: a field's
//! wire type, a frame's direction and role, whether a frame allows trailing bytes. Each is one
//! enum here, with its spec spelling for [`FromStr`](std::str::FromStr), [`Display`](std::fmt::Display)
//! and serde `Deserialize`, and the Rust variant name the derive emits ([`FieldKind::variant`] …).
//!
//! `Serialize` keeps serde's snake_case variant names (`ykc frames --json` prints them), which
//! equal the spec spelling except for `cp56time` (serialized as `cp56_time`).

use std::fmt;

/// A name that is not one of an enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What was being named (`"direction"`, `"role"` …).
    pub what: &'static str,
    /// The name given.
    pub got: String,
    /// The spellings accepted.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a {}: expected one of {}",
            self.got,
            self.what,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Defines a vocabulary enum: variants with their spec spelling, and the impls every user needs.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        // serde_derive's Deserialize, so serde_yaml reports a misspelling with its key and line.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(rename_all(serialize = "snake_case"))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename(deserialize = $text))] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The spec spelling of every value, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The spec spelling (`"up"`, `"transaction_record"`, `"cp56time"` …).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The Rust variant name, for generated code (`"Up"`, `"TransactionRecord"` …).
            pub const fn variant(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownName { what: $what, got: s.to_string(), expected: Self::NAMES }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Which side sends a frame (spec `direction:`).
    Direction("direction") {
        /// Pile → platform (上行, odd codes).
        Up = "up",
        /// Platform → pile (下行, even codes).
        Down = "down",
    }
}

vocabulary! {
    /// How a field is laid out on the wire (spec `type:`, the derive's `#[ykc(uint, ...)]`).
    ///
    /// The spec's table types are [`FieldKind::TABLE`]; `trailing` and `layout` are not table
    /// rows but the fields the generator adds for a frame's `trailing: allow` and `alt_layout:`.
    FieldKind("wire type") {
        /// BCD digits, most significant digit first.
        Bcd = "bcd",
        /// Unsigned little-endian integer (BIN码).
        Uint = "uint",
        /// ASCII text padded with 0x00.
        Ascii = "ascii",
        /// Opaque bytes shown as hex.
        Bytes = "bytes",
        /// CP56Time2a timestamp (7 bytes).
        Cp56Time = "cp56time",
        /// Little-endian integer whose bits carry named sub-fields.
        Bits = "bits",
        /// Repeated item records.
        Group = "group",
        /// Not a table row: bytes beyond the table, kept as received.
        Trailing = "trailing",
        /// Not a table row: whether the alternative layout was read.
        Layout = "layout",
    }
}

impl FieldKind {
    /// The types a spec table row may have.
    pub const TABLE: &'static [FieldKind] = &[
        FieldKind::Bcd,
        FieldKind::Uint,
        FieldKind::Ascii,
        FieldKind::Bytes,
        FieldKind::Cp56Time,
        FieldKind::Bits,
        FieldKind::Group,
    ];

    /// True for the types a spec table row may have (not `trailing`/`layout`).
    pub fn is_table_type(self) -> bool {
        Self::TABLE.contains(&self)
    }

    /// True for fields that occupy a fixed place in the table (not groups or the specials).
    pub fn is_fixed(self) -> bool {
        !matches!(
            self,
            FieldKind::Group | FieldKind::Trailing | FieldKind::Layout
        )
    }
}

vocabulary! {
    /// What the gateway uses a frame for (spec `role:`).
    Role("role") {
        /// The pile identifies itself; answered before anything else.
        Login = "login",
        /// Keeps the link alive.
        Heartbeat = "heartbeat",
        /// The pile asks whether its billing model is current.
        BillingModelVerify = "billing_model_verify",
        /// The pile asks for the billing model.
        BillingModelRequest = "billing_model_request",
        /// Billing data: confirmed only after it was handed on durably.
        TransactionRecord = "transaction_record",
        /// The platform sets the pile's clock.
        TimeSync = "time_sync",
    }
}

vocabulary! {
    /// What a frame does with bytes beyond its table (spec `trailing:`).
    Trailing("trailing rule") {
        /// Longer bodies decode; the extra bytes are kept (ERRATA: 0x3B at 160+ bytes).
        Allow = "allow",
        /// Longer bodies are an error (the default).
        Error = "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for k in FieldKind::ALL {
            assert_eq!(k.as_str().parse::<FieldKind>(), Ok(*k));
        }
        for r in Role::ALL {
            assert_eq!(r.to_string().parse::<Role>(), Ok(*r));
        }
        assert_eq!(Role::TransactionRecord.variant(), "TransactionRecord");
        assert_eq!(FieldKind::Cp56Time.as_str(), "cp56time");
    }

    #[test]
    fn serde_reads_spec_spellings_and_writes_snake_case() {
        let k: FieldKind = serde_yaml::from_str("cp56time").unwrap();
        assert_eq!(k, FieldKind::Cp56Time);
        // `ykc frames --json` has always printed serde's snake_case.
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"cp56_time\"");
        assert_eq!(
            serde_json::to_string(&Role::BillingModelVerify).unwrap(),
            "\"billing_model_verify\""
        );
        assert!(serde_yaml::from_str::<FieldKind>("cp56_time").is_err());
    }

    #[test]
    fn unknown_names_list_the_choices() {
        let e = "sideways".parse::<Direction>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`sideways` is not a direction: expected one of up, down"
        );
    }
}
