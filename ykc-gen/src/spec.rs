//! The spec's data model, as read from `spec/frames/*.yaml` and `spec/enums/*.yaml`.

use crate::GenError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
pub use ykc_vocab::{Direction, FieldKind, Role, Trailing};

/// All frames and shared enums.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Frames, sorted by code.
    pub frames: Vec<FrameSpec>,
    /// Shared enums by name.
    pub enums: BTreeMap<String, EnumSpec>,
}

/// One frame type (one YAML file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameSpec {
    /// Frame type code.
    pub code: u8,
    /// English snake_case name.
    pub name: String,
    /// Chinese section heading.
    pub name_zh: String,
    /// Name in the §4 table when it differs.
    #[serde(default)]
    pub name_zh_table: Option<String>,
    /// PDF section.
    pub section: String,
    /// Who sends it.
    pub direction: Direction,
    /// The code of the answering frame.
    #[serde(default)]
    pub reply: Option<u8>,
    /// What the gateway uses the frame for.
    #[serde(default)]
    pub role: Option<Role>,
    /// 传送间隔.
    #[serde(default)]
    pub interval_zh: String,
    /// 功能.
    #[serde(default)]
    pub function_zh: String,
    /// `allow` lets longer bodies decode.
    #[serde(default)]
    pub trailing: Option<Trailing>,
    /// Alternative layout selected by body length.
    #[serde(default)]
    pub alt_layout: Option<AltLayout>,
    /// Frame-level ERRATA notes.
    #[serde(default)]
    pub errata: Vec<String>,
    /// Fields in wire order.
    pub fields: Vec<FieldSpec>,
    /// PDF samples.
    #[serde(default)]
    pub samples: Vec<SampleSpec>,
    /// How this (reply) frame answers its request by default.
    #[serde(default)]
    pub answer: Option<AnswerSpec>,
    /// The file it came from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// The positive answer to a request: copied fields, set fields, set item fields; the rest zero.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    /// The request's code.
    pub request: u8,
    /// Reply field → request field.
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
    /// Reply field → value (plain YAML: an enum name, a number, text).
    #[serde(default)]
    pub set: BTreeMap<String, serde_json::Value>,
    /// Item field of a copied group → value.
    #[serde(default)]
    pub item_set: BTreeMap<String, serde_json::Value>,
    /// Reply field → value for a refusal.
    #[serde(default)]
    pub refuse: BTreeMap<String, serde_json::Value>,
}

/// An alternative layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AltLayout {
    /// Its name.
    pub name: String,
    /// The body length that selects it.
    pub body_len: usize,
    /// Why it exists.
    #[serde(default)]
    pub note: String,
}

/// How many items a group has.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Count {
    /// Named count field.
    Field {
        /// The field's name.
        field: String,
    },
    /// `rest`: items fill the body.
    Rest(String),
}

/// One table row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// English snake_case name.
    pub name: String,
    /// Chinese name as printed.
    pub name_zh: String,
    /// Wire type (a table type: not `trailing`/`layout`, see validation).
    #[serde(rename = "type")]
    pub ty: FieldKind,
    /// Length in bytes.
    #[serde(default)]
    pub len: usize,
    /// 数据类型 as printed when it differs.
    #[serde(default)]
    pub type_zh: Option<String>,
    /// 备注.
    #[serde(default)]
    pub note_zh: String,
    /// Value = raw × scale.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Added after scaling.
    #[serde(default)]
    pub offset: Option<i64>,
    /// Unit.
    #[serde(default)]
    pub unit: String,
    /// Raw 0 = not applicable.
    #[serde(default)]
    pub null_when_zero: bool,
    /// Part of the pile's identity: the gateway pins it per pile code (login frame only).
    #[serde(default)]
    pub identity: bool,
    /// Inline enum.
    #[serde(default)]
    pub r#enum: Option<BTreeMap<u64, EnumValueSpec>>,
    /// Shared enum.
    #[serde(default)]
    pub enum_ref: Option<String>,
    /// ASCII reversed on the wire.
    #[serde(default)]
    pub reversed: bool,
    /// Fixed repeat count.
    #[serde(default)]
    pub repeat: Option<usize>,
    /// Bit runs.
    #[serde(default)]
    pub bits: Vec<BitSpec>,
    /// Group count rule.
    #[serde(default)]
    pub count: Option<Count>,
    /// Group maximum.
    #[serde(default)]
    pub max: Option<usize>,
    /// Group item fields.
    #[serde(default)]
    pub item: Vec<FieldSpec>,
    /// Group items may lack their last byte (ERRATA §4, 0x45).
    #[serde(default)]
    pub short_items: bool,
    /// Length in the alternative layout.
    #[serde(default)]
    pub alt_len: Option<usize>,
    /// ERRATA decision.
    #[serde(default)]
    pub errata: Option<String>,
    /// The field's name in the Go proxy's REST bodies.
    #[serde(default)]
    pub go: Option<String>,
    /// Go sends a bool: [value if true, value if false].
    #[serde(default)]
    pub go_bool: Option<[String; 2]>,
    /// Printed row number when irregular.
    #[serde(default)]
    pub row: Option<serde_yaml::Value>,
}

/// A named run of bits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitSpec {
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// LSB index.
    pub bit: u8,
    /// Width in bits.
    #[serde(default = "one")]
    pub width: u8,
    /// Value meanings.
    #[serde(default)]
    pub r#enum: Option<BTreeMap<u64, EnumValueSpec>>,
}

fn one() -> u8 {
    1
}

/// One enum value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValueSpec {
    /// English snake_case name.
    pub name: String,
    /// Chinese meaning.
    pub zh: String,
    /// Category (stop reasons).
    #[serde(default)]
    pub category: Option<String>,
}

/// A shared enum file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumSpec {
    /// Its name (file stem).
    pub name: String,
    /// Chinese name.
    #[serde(default)]
    pub name_zh: String,
    /// PDF section.
    #[serde(default)]
    pub section: String,
    /// ERRATA notes.
    #[serde(default)]
    pub errata: Vec<String>,
    /// Values.
    pub values: BTreeMap<u64, EnumValueSpec>,
}

/// One printed sample.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleSpec {
    /// Hex as printed.
    pub printed: String,
    /// Repaired hex, when bytes other than the CRC were wrong.
    #[serde(default)]
    pub hex: Option<String>,
    /// What was repaired and why.
    #[serde(default)]
    pub note: String,
}

impl FieldSpec {
    /// Bytes this field takes in the fixed part (0 for groups).
    pub fn size(&self) -> usize {
        if self.ty == FieldKind::Group {
            0
        } else {
            self.len * self.repeat.unwrap_or(1)
        }
    }
    /// Bytes per group item.
    pub fn item_len(&self) -> usize {
        self.item.iter().map(FieldSpec::size).sum()
    }
    /// Decimal places of the scale (0.0001 → 4).
    pub fn decimals(&self) -> u32 {
        self.scale
            .map_or(0, |s| (-s.log10()).round().max(0.0) as u32)
    }
}

impl FrameSpec {
    /// Bytes of the fixed part.
    pub fn fixed_len(&self) -> usize {
        self.fields.iter().map(FieldSpec::size).sum()
    }
    /// The repeated group, if any.
    pub fn group(&self) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.ty == FieldKind::Group)
    }
    /// True when longer bodies are allowed.
    pub fn allows_trailing(&self) -> bool {
        self.trailing == Some(Trailing::Allow)
    }
}

fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, GenError> {
    let text = std::fs::read_to_string(path).map_err(|e| GenError::new(path, "", e.to_string()))?;
    serde_yaml::from_str(&text).map_err(|e| GenError::new(path, "", e.to_string()))
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, GenError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(GenError::new(dir, "", e.to_string())),
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

impl Spec {
    /// Reads `dir/frames/*.yaml` and `dir/enums/*.yaml`.
    pub fn load(dir: &Path) -> Result<Spec, GenError> {
        let mut frames = Vec::new();
        for path in yaml_files(&dir.join("frames"))? {
            let mut f: FrameSpec = read_yaml(&path)?;
            f.file = path;
            frames.push(f);
        }
        frames.sort_by_key(|f| f.code);
        let mut enums = BTreeMap::new();
        for path in yaml_files(&dir.join("enums"))? {
            let e: EnumSpec = read_yaml(&path)?;
            enums.insert(e.name.clone(), e);
        }
        Ok(Spec { frames, enums })
    }

    /// All spec files, for `cargo:rerun-if-changed` (a missing `frames/` or `enums/` is empty).
    pub fn files(dir: &Path) -> Result<Vec<PathBuf>, GenError> {
        let mut v = yaml_files(&dir.join("frames"))?;
        v.extend(yaml_files(&dir.join("enums"))?);
        Ok(v)
    }
}
