//! The catalog of log sources and their fields: data, documented in `docs/catalog.md`.
//!
//! The built-in catalog (`builtin/*.yml`) is compiled into the binary; a user file given
//! with `--catalog` is laid over it field by field ([`Catalog::overlay`]). Every per-target
//! detail lives under a source's `targets:` map, keyed by a target's catalog key
//! (`kql.sentinel`, `kql.defender`, `spl`, `sigma`), so that nothing outside `targets/`
//! needs to know which target is which.

mod describe;
mod error;
mod locate;
mod logsource;
mod read;
mod record;

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

pub use describe::{describe, describe_json, Selection};
pub use error::{CatalogError, FileError};
pub use record::normalize;

/// The YAML files compiled into the binary, in order (each name is defined in one file).
pub const BUILTIN: &[(&str, &str)] = &[
    ("builtin/core.yml", include_str!("builtin/core.yml")),
    ("builtin/windows.yml", include_str!("builtin/windows.yml")),
    (
        "builtin/windows_channels.yml",
        include_str!("builtin/windows_channels.yml"),
    ),
    ("builtin/unix.yml", include_str!("builtin/unix.yml")),
    ("builtin/cloud.yml", include_str!("builtin/cloud.yml")),
    ("builtin/network.yml", include_str!("builtin/network.yml")),
    (
        "builtin/text_logs.yml",
        include_str!("builtin/text_logs.yml"),
    ),
];

/// A field's type in the rule language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// Integer or decimal number.
    Number,
    /// An IPv4 or IPv6 address held as text.
    Ip,
    /// `true` / `false`.
    Bool,
    /// A JSON array or object, tested through its JSON text: only `contains` with needles
    /// that every JSON writer spells the same way, and `exists`/`missing`.
    Json,
}

impl FieldType {
    /// Every type, in the order the documentation lists them.
    pub const ALL: [FieldType; 5] = [
        FieldType::String,
        FieldType::Number,
        FieldType::Ip,
        FieldType::Bool,
        FieldType::Json,
    ];

    /// The lower-case name used in the catalog, diagnostics and `tripline sources`.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Ip => "ip",
            FieldType::Bool => "bool",
            FieldType::Json => "json",
        }
    }

    /// The type of that name.
    pub fn from_name(s: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// What a field identifies, for deployable artifacts (Sentinel entity mappings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// A user account.
    Account,
    /// A host.
    Host,
    /// An IP address.
    Ip,
    /// A process.
    Process,
    /// A file.
    File,
    /// A URL.
    Url,
    /// A cloud application.
    CloudApplication,
    /// A registry key.
    RegistryKey,
    /// A registry value.
    RegistryValue,
    /// A DNS name.
    Dns,
    /// A file hash.
    FileHash,
}

impl Entity {
    /// Every entity, with its catalog name.
    pub const ALL: [(Entity, &'static str); 11] = [
        (Entity::Account, "account"),
        (Entity::Host, "host"),
        (Entity::Ip, "ip"),
        (Entity::Process, "process"),
        (Entity::File, "file"),
        (Entity::Url, "url"),
        (Entity::CloudApplication, "cloud_application"),
        (Entity::RegistryKey, "registry_key"),
        (Entity::RegistryValue, "registry_value"),
        (Entity::Dns, "dns"),
        (Entity::FileHash, "file_hash"),
    ];

    /// The catalog name.
    pub fn name(self) -> &'static str {
        Entity::ALL
            .iter()
            .find(|(e, _)| *e == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }
}

/// The whole catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Raw record shapes by name (`evtx`).
    pub records: IndexMap<String, Record>,
    /// Reusable field definitions by name, merged into sources with `use:`.
    pub field_sets: IndexMap<String, IndexMap<String, FieldDef>>,
    /// Log sources by name (`m365.audit`).
    pub sources: IndexMap<String, Source>,
}

/// A raw record shape: how records written that way become a source's fields.
#[derive(Debug, Clone)]
pub struct Record {
    /// What writes records of this shape.
    pub description: String,
    /// A record has this shape when this dotted path exists in it.
    pub detect: String,
    /// Field name → paths in the raw record, the first one present wins.
    pub fields: IndexMap<String, Vec<String>>,
    /// Objects whose every key becomes a field of its own name (`Event.EventData`).
    pub spread: Vec<String>,
}

/// One log source.
#[derive(Debug, Clone)]
pub struct Source {
    /// What the source holds.
    pub description: String,
    /// The Sigma `logsource` block (`product`, `service`, `category`).
    pub logsource: IndexMap<String, String>,
    /// The field holding the event time, in source field names.
    pub timestamp: Option<String>,
    /// The raw record shape its records come in (a name in [`Catalog::records`]), if not flat.
    pub record: Option<String>,
    /// A rule-language predicate over the source's fields that holds exactly for its
    /// records; `None` for every record.
    pub recognize: Option<Located>,
    /// Typed fields, by raw source name (dotted for nested objects).
    pub fields: IndexMap<String, FieldDef>,
    /// Per-target settings, by target catalog key.
    pub targets: IndexMap<String, TargetSource>,
}

/// A text of the catalog and where it was written (for diagnostics).
#[derive(Debug, Clone)]
pub struct Located {
    /// The text.
    pub text: String,
    /// The catalog file it came from.
    pub origin: Arc<str>,
    /// That file's text.
    pub file: Arc<str>,
    /// Byte offset of `text`'s value in `file` (0 when unknown).
    pub offset: usize,
}

/// A field: its type, what it holds, and what it identifies.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The field's type.
    pub ty: FieldType,
    /// What the field holds.
    pub description: Option<String>,
    /// What it identifies (for entity mappings), if anything.
    pub entity: Option<Entity>,
}

impl FieldDef {
    /// A field of type `ty` with no description.
    pub fn new(ty: FieldType) -> FieldDef {
        FieldDef {
            ty,
            description: None,
            entity: None,
        }
    }

    /// The field's type.
    pub fn ty(&self) -> FieldType {
        self.ty
    }
}

/// A source's settings for one target.
#[derive(Debug, Clone, Default)]
pub struct TargetSource {
    /// The whole source cannot be queried on this target: why.
    pub unavailable: Option<String>,
    /// KQL: the table.
    pub table: Option<String>,
    /// SPL: the base search; `{index}` is replaced with the index.
    pub base: Option<String>,
    /// SPL: the default index.
    pub index: Option<String>,
    /// The time column on this target.
    pub timestamp: Option<String>,
    /// KQL: a condition, in KQL, that selects this source's rows in a shared table
    /// (emitted as the first `| where`).
    pub filter: Option<String>,
    /// How a field with no entry in `fields` is written, by its type.
    pub template: Option<Template>,
    /// Select the source's records by the source's own `recognize` predicate, compiled for
    /// this target through these field mappings (ANDed before the rule's expression), so the
    /// selection means exactly what the evaluator applies.
    pub recognize: bool,
    /// Field mappings; a field not listed follows the template, else keeps its name.
    pub fields: IndexMap<String, FieldMap>,
}

/// Per-type expressions for fields a target section does not list; `{name}` is the
/// source field name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    /// The physical column the expressions read.
    pub column: Option<String>,
    /// Expression per field type.
    pub by_type: IndexMap<FieldType, String>,
}

/// How one source field appears on a target.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldMap {
    /// A plain rename: `Workload: OfficeWorkload`.
    Column(String),
    /// A full mapping.
    Full(FieldMapFull),
}

/// A full field mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldMapFull {
    /// The physical column that holds the value (used for schemas and conformance data).
    pub column: Option<String>,
    /// An expression to emit instead of the column (`tostring(RawEventData.AppId)`).
    pub expr: Option<String>,
    /// The field cannot be queried on this target: using it is an error.
    pub unavailable: Option<String>,
}

/// How a field is written on a target, after mapping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Mapped {
    /// A column name, to be quoted by the target if it needs it.
    Column(String),
    /// A verbatim expression in the target's language.
    Expr(String),
}

impl Catalog {
    /// The built-in catalog (parsed once per process).
    pub fn builtin() -> Catalog {
        Catalog::builtin_shared().as_ref().clone()
    }

    /// The built-in catalog, shared (parsed once per process).
    pub fn builtin_shared() -> Arc<Catalog> {
        static CAT: OnceLock<Arc<Catalog>> = OnceLock::new();
        CAT.get_or_init(|| {
            let mut cat = Catalog::default();
            for (name, text) in BUILTIN {
                cat = read::read(text, name, Some(&cat), read::Mode::Builtin)
                    .expect("the built-in catalog is valid (checked by tests)");
            }
            Arc::new(cat)
        })
        .clone()
    }

    /// Parse a catalog file on its own (a user catalog that names no built-in source).
    pub fn from_yaml(text: &str, origin: &str) -> Result<Catalog, FileError> {
        read::read(text, origin, None, read::Mode::User)
    }

    /// This catalog with a user catalog file laid over it: new sources are added; a source
    /// of the same name is merged field by field (new fields added, fields given again
    /// replaced, target sections merged key by key), or replaced whole with `replace: true`.
    pub fn with_user_yaml(&self, text: &str, origin: &str) -> Result<Catalog, FileError> {
        read::read(text, origin, Some(self), read::Mode::User)
    }

    /// One source's definition on its own (the value of a `sources:` entry), for tests and
    /// tools that build a source by hand.
    pub fn source_from_yaml(text: &str) -> Result<Source, FileError> {
        let mut cat = read::read_as(text, "<source>", None, read::Mode::User, read::Wrap::Source)?;
        // A source that read without errors is there.
        cat.sources.shift_remove("t").ok_or_else(|| FileError {
            origin: "<source>".into(),
            text: Arc::from(text),
            errors: Vec::new(),
        })
    }

    /// Overlay a catalog parsed on its own: its sources replace sources of the same name.
    pub fn overlay(mut self, other: Catalog) -> Catalog {
        for (name, rec) in other.records {
            self.records.insert(name, rec);
        }
        for (name, set) in other.field_sets {
            self.field_sets.insert(name, set);
        }
        for (name, src) in other.sources {
            self.sources.insert(name, src);
        }
        self
    }
}

impl Source {
    /// The type of a field, if the source has it.
    pub fn field_type(&self, name: &str) -> Option<FieldType> {
        self.fields.get(name).map(FieldDef::ty)
    }

    /// How `field` is written for the target with catalog key `key`.
    /// `Err` carries the catalog's reason when the field (or the whole source) is
    /// unavailable there.
    pub fn map_field(&self, key: &str, field: &str) -> Result<Mapped, String> {
        let Some(t) = self.targets.get(key) else {
            return Ok(Mapped::Column(field.to_string()));
        };
        if let Some(why) = &t.unavailable {
            return Err(why.clone());
        }
        match t.fields.get(field) {
            Some(FieldMap::Column(c)) => Ok(Mapped::Column(c.clone())),
            Some(FieldMap::Full(full)) => {
                if let Some(why) = &full.unavailable {
                    return Err(why.clone());
                }
                if let Some(e) = &full.expr {
                    return Ok(Mapped::Expr(e.clone()));
                }
                Ok(Mapped::Column(
                    full.column.clone().unwrap_or_else(|| field.to_string()),
                ))
            }
            None => {
                let ty = self.field_type(field);
                match (&t.template, ty) {
                    (Some(tpl), Some(ty)) => match tpl.by_type.get(&ty) {
                        Some(e) => Ok(Mapped::Expr(e.replace("{name}", field))),
                        None => Ok(Mapped::Column(field.to_string())),
                    },
                    _ => Ok(Mapped::Column(field.to_string())),
                }
            }
        }
    }

    /// The physical column a field reads on the target with catalog key `key` (for schemas
    /// and conformance data): the mapping's `column`, the template's, or the field's name.
    pub fn column_of(&self, key: &str, field: &str) -> Option<String> {
        let t = self.targets.get(key)?;
        match t.fields.get(field) {
            Some(FieldMap::Column(c)) => Some(c.clone()),
            Some(FieldMap::Full(f)) => f
                .column
                .clone()
                .or_else(|| f.expr.is_none().then(|| field.to_string())),
            None => match &t.template {
                Some(tpl) if tpl.column.is_some() => tpl.column.clone(),
                _ => Some(field.to_string()),
            },
        }
    }
}
