//! The message table read from schema.txt (generated from upstream's generated.proto files by
//! scripts/proto_schema.py): field numbers, JSON names and types, parsed once.

use std::sync::OnceLock;

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    String,
    Bytes,
    Int32,
    Int64,
    Bool,
    Double,
    /// An index into the schema's messages.
    Message(usize),
    /// A map from string keys to values of this type.
    Map(Box<Ty>),
}

impl Ty {
    pub fn message(&self) -> usize {
        match self {
            Ty::Message(i) => *i,
            _ => 0,
        }
    }
}

/// Messages whose JSON form is not an object of their fields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Special {
    Time,
    MicroTime,
    Quantity,
    IntOrString,
    RawJson,
    SchemaOrArray,
    SchemaOrBool,
    SchemaOrStrings,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub number: u32,
    pub ty: Ty,
    pub repeated: bool,
    /// A Go embedded struct: its fields sit in the parent's JSON object.
    pub inline: bool,
}

#[derive(Debug)]
pub struct Message {
    pub name: &'static str,
    /// In field-number order.
    pub fields: Vec<Field>,
    pub special: Option<Special>,
}

impl Message {
    pub fn field(&self, number: u32) -> Option<&Field> {
        self.fields.binary_search_by_key(&number, |f| f.number).ok().map(|i| &self.fields[i])
    }

    /// Whether a JSON key belongs to this message (directly or through an inline message).
    pub fn claims(&self, key: &str) -> bool {
        self.fields.iter().any(|f| if f.inline { get().at(f.ty.message()).claims(key) } else { f.name == key })
    }
}

pub struct Schema {
    messages: Vec<Message>,
}

impl Schema {
    pub fn at(&self, index: usize) -> &Message {
        &self.messages[index]
    }

    /// By name: the kind for top-level objects (names are unique; schema.txt prefixes the
    /// few that two API groups share).
    pub fn message(&self, name: &str) -> Option<&Message> {
        self.messages.binary_search_by(|m| m.name.cmp(name)).ok().map(|i| &self.messages[i])
    }
}

const TEXT: &str = include_str!("schema.txt");

pub fn get() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(parse)
}

fn special(name: &str) -> Option<Special> {
    Some(match name {
        "Time" => Special::Time,
        "MicroTime" => Special::MicroTime,
        "Quantity" => Special::Quantity,
        "IntOrString" => Special::IntOrString,
        "RawExtension" | "FieldsV1" | "JSON" => Special::RawJson,
        "JSONSchemaPropsOrArray" => Special::SchemaOrArray,
        "JSONSchemaPropsOrBool" => Special::SchemaOrBool,
        "JSONSchemaPropsOrStringArray" => Special::SchemaOrStrings,
        _ => return None,
    })
}

/// schema.txt is sorted by message name; every type it names is one of its messages.
fn parse() -> Schema {
    let lines: Vec<&'static str> = TEXT.lines().filter(|l| !l.is_empty()).collect();
    let names: Vec<&'static str> = lines.iter().map(|l| l.split(' ').next().unwrap_or_default()).collect();
    let ty = |code: &str| -> Ty {
        match code {
            "s" => Ty::String,
            "y" => Ty::Bytes,
            "i" => Ty::Int32,
            "l" => Ty::Int64,
            "b" => Ty::Bool,
            "d" => Ty::Double,
            name => Ty::Message(names.binary_search(&name).unwrap_or_default()),
        }
    };
    let messages = lines
        .iter()
        .zip(&names)
        .map(|(line, name)| {
            let fields = line
                .split(' ')
                .skip(1)
                .filter_map(|f| {
                    let (name, rest) = f.split_once('=')?;
                    let (number, code) = rest.split_once(':')?;
                    let (inline, name) = match name.strip_prefix('~') {
                        Some(n) => (true, n),
                        None => (false, name),
                    };
                    let (repeated, code) = match code.strip_prefix('+') {
                        Some(c) => (true, c),
                        None => (false, code),
                    };
                    let ty = match code.strip_prefix("{s,").and_then(|c| c.strip_suffix('}')) {
                        Some(value) => Ty::Map(Box::new(ty(value))),
                        None => ty(code),
                    };
                    Some(Field { name, number: number.parse().ok()?, ty, repeated, inline })
                })
                .collect();
            Message { name, fields, special: special(name) }
        })
        .collect();
    Schema { messages }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_type_is_a_message_and_names_are_sorted() {
        let s = get();
        assert!(s.messages.windows(2).all(|w| w[0].name < w[1].name));
        for line in TEXT.lines() {
            for code in line.split(' ').skip(1).filter_map(|f| f.split_once(':').map(|(_, c)| c)) {
                let name = code.trim_start_matches('+').trim_start_matches("{s,").trim_end_matches('}');
                if !matches!(name, "s" | "y" | "i" | "l" | "b" | "d") {
                    assert!(s.message(name).is_some(), "{name} in {line}");
                }
            }
        }
        let pod = s.message("Pod").unwrap();
        assert_eq!(pod.field(2).unwrap().name, "spec");
    }
}
