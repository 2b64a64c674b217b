//! Kubernetes' protobuf encoding of API objects (k8s.io/apimachinery runtime/serializer/protobuf),
//! as kube-apiserver writes built-in types to etcd and as clients may ask for them
//! (`application/vnd.kubernetes.protobuf`).
//!
//! An object travels as its JSON form: the encoder walks the JSON tree with the field numbers
//! and types of upstream's generated.proto files (schema.txt, written by
//! scripts/proto_schema.py) and prost writes the wire format; the decoder reads the wire
//! format and writes JSON text directly, which the API types parse as from any JSON. The
//! stored value is upstream's envelope: the magic `k8s\0`, then a runtime.Unknown holding
//! apiVersion, kind and the object's bytes.
//!
//! Simplified: Go's generated marshallers also write empty strings and zero numbers of
//! non-pointer fields, which the JSON form leaves out, so values here are a few bytes smaller.

mod schema;

use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, skip_field, DecodeContext, WireType};
use schema::{Field, Message, Special, Ty};
use serde_json::{Map, Value};

/// The four bytes that open every protobuf value kube-apiserver stores.
pub const MAGIC: &[u8] = b"k8s\0";

/// The deepest nesting the decoder follows (a corrupt value must not exhaust the stack).
const MAX_DEPTH: usize = 64;

/// Encodes an object's JSON form (with apiVersion and kind) into upstream's envelope.
pub fn encode(object: &Value) -> Result<Vec<u8>, String> {
    let doc = object.as_object().ok_or("an object must be a JSON object")?;
    let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default();
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    let message = schema::get().message(kind).ok_or_else(|| format!("no protobuf message for kind {kind:?}"))?;
    let mut raw = Vec::with_capacity(256);
    encode_message(message, doc, &mut raw, &mut |k| k == "apiVersion" || k == "kind")?;

    let mut type_meta = Vec::new();
    put_bytes(1, api_version.as_bytes(), &mut type_meta);
    put_bytes(2, kind.as_bytes(), &mut type_meta);
    let mut out = Vec::with_capacity(raw.len() + type_meta.len() + 16);
    out.extend_from_slice(MAGIC);
    put_bytes(1, &type_meta, &mut out);
    put_bytes(2, &raw, &mut out);
    put_bytes(3, b"", &mut out); // contentEncoding
    put_bytes(4, b"", &mut out); // contentType
    Ok(out)
}

/// Decodes upstream's envelope back into the object's JSON form.
pub fn decode(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(&decode_json(bytes)?).map_err(|e| format!("proto: {e}"))
}

/// Decodes upstream's envelope straight into the object's JSON text (no tree in between:
/// every watch event and read goes through here). A repeated or map field must come as one
/// run of entries, as every Kubernetes encoder writes it.
pub fn decode_json(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut buf = bytes.strip_prefix(MAGIC).ok_or("protobuf value without the k8s\\0 prefix")?;
    let (mut type_meta, mut raw) = (&[][..], &[][..]);
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).map_err(err)?;
        match (tag, wire) {
            (1, WireType::LengthDelimited) => type_meta = take(&mut buf)?,
            (2, WireType::LengthDelimited) => raw = take(&mut buf)?,
            _ => skip_field(wire, tag, &mut buf, DecodeContext::default()).map_err(err)?,
        }
    }
    let (mut api_version, mut kind) = (String::new(), String::new());
    while !type_meta.is_empty() {
        let (tag, wire) = decode_key(&mut type_meta).map_err(err)?;
        match (tag, wire) {
            (1, WireType::LengthDelimited) => api_version = utf8(take(&mut type_meta)?)?,
            (2, WireType::LengthDelimited) => kind = utf8(take(&mut type_meta)?)?,
            _ => skip_field(wire, tag, &mut type_meta, DecodeContext::default()).map_err(err)?,
        }
    }
    let message = schema::get().message(&kind).ok_or_else(|| format!("no protobuf message for kind {kind:?}"))?;
    let mut out = Vec::with_capacity(raw.len() * 2 + 64);
    out.extend_from_slice(b"{\"apiVersion\":");
    text(&mut out, &api_version);
    out.extend_from_slice(b",\"kind\":");
    text(&mut out, &kind);
    let mut first = false;
    write_fields(message, raw, &mut out, &mut first, 0)?;
    out.push(b'}');
    Ok(out)
}

/// A JSON string, escaped.
fn text(out: &mut Vec<u8>, s: &str) {
    // Writing a &str to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn err(e: prost::DecodeError) -> String {
    format!("proto: {e}")
}

fn utf8(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "proto: string field is not valid UTF-8".into())
}

pub(crate) fn put_bytes(tag: u32, b: &[u8], out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn take<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = decode_varint(buf).map_err(err)? as usize;
    if len > buf.len() {
        return Err("proto: length exceeds the value".into());
    }
    let (head, tail) = buf.split_at(len);
    *buf = tail;
    Ok(head)
}

/// Writes the fields of `message` found in `doc`, in field-number order as Go's marshallers
/// do. `known` marks the keys consumed; a key no field claims is an error (at the top level).
fn encode_message(
    message: &Message,
    doc: &Map<String, Value>,
    out: &mut Vec<u8>,
    known: &mut dyn FnMut(&str) -> bool,
) -> Result<(), String> {
    let schema = schema::get();
    for field in &message.fields {
        if field.inline {
            let mut inner = Vec::new();
            encode_message(schema.at(field.ty.message()), doc, &mut inner, &mut |_| true)?;
            put_bytes(field.number, &inner, out);
            continue;
        }
        let Some(value) = doc.get(field.name) else { continue };
        if value.is_null() {
            continue;
        }
        match (&field.ty, field.repeated) {
            (_, true) => {
                let items = value.as_array().ok_or_else(|| mismatch(field, "a list"))?;
                for item in items {
                    encode_value(field, &field.ty, item, out)?;
                }
            }
            (Ty::Map(value_ty), false) => {
                let entries = value.as_object().ok_or_else(|| mismatch(field, "a map"))?;
                for (k, v) in entries {
                    let mut entry = Vec::new();
                    put_bytes(1, k.as_bytes(), &mut entry);
                    encode_value(field, value_ty, v, &mut entry)?;
                    put_bytes(field.number, &entry, out);
                }
            }
            (ty, false) => encode_value(field, ty, value, out)?,
        }
    }
    // Every key must belong to a field (directly or through an inline message).
    for key in doc.keys() {
        if !known(key) && !message.claims(key) {
            return Err(format!("{}: no protobuf field for {key:?}", message.name));
        }
    }
    Ok(())
}

fn mismatch(field: &Field, want: &str) -> String {
    format!("field {:?}: expected {want}", field.name)
}

/// One value of `field` (an element when repeated, the value when a map entry: then it goes
/// out as entry field 2).
fn encode_value(field: &Field, ty: &Ty, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    let tag = if matches!(field.ty, Ty::Map(_)) { 2 } else { field.number };
    let int = || value.as_i64().ok_or_else(|| mismatch(field, "an integer"));
    match ty {
        Ty::String => put_bytes(tag, value.as_str().ok_or_else(|| mismatch(field, "a string"))?.as_bytes(), out),
        Ty::Bytes => {
            use base64::Engine;
            let text = value.as_str().ok_or_else(|| mismatch(field, "base64 text"))?;
            let bytes =
                base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| format!("{}: {e}", field.name))?;
            put_bytes(tag, &bytes, out);
        }
        Ty::Int32 | Ty::Int64 => {
            encode_key(tag, WireType::Varint, out);
            encode_varint(int()? as u64, out);
        }
        Ty::Bool => {
            encode_key(tag, WireType::Varint, out);
            encode_varint(u64::from(value.as_bool().ok_or_else(|| mismatch(field, "a boolean"))?), out);
        }
        Ty::Double => {
            encode_key(tag, WireType::SixtyFourBit, out);
            out.extend_from_slice(&value.as_f64().ok_or_else(|| mismatch(field, "a number"))?.to_le_bytes());
        }
        Ty::Message(index) => {
            let message = schema::get().at(*index);
            let mut inner = Vec::new();
            match message.special {
                Some(special) => encode_special(special, message, value, &mut inner)?,
                None => {
                    let doc = value.as_object().ok_or_else(|| mismatch(field, "an object"))?;
                    encode_message(message, doc, &mut inner, &mut |_| false)?;
                }
            }
            put_bytes(tag, &inner, out);
        }
        Ty::Map(_) => return Err(mismatch(field, "no nested map")),
    }
    Ok(())
}

/// The messages whose JSON form is not an object of their fields.
fn encode_special(special: Special, message: &Message, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    let bad = || format!("{}: unexpected JSON {value}", message.name);
    let varint = |tag: u32, v: u64, out: &mut Vec<u8>| {
        encode_key(tag, WireType::Varint, out);
        encode_varint(v, out);
    };
    match special {
        // metav1.Time and MicroTime: {seconds, nanos} from RFC 3339 text.
        Special::Time | Special::MicroTime => {
            let t = crate::sim::time::parse_rfc3339_micros(value.as_str().ok_or_else(bad)?)?;
            let nanos = crate::sim::time::unix_nanos(t);
            varint(1, nanos / 1_000_000_000, out);
            varint(2, nanos % 1_000_000_000, out);
        }
        // resource.Quantity: its canonical string.
        Special::Quantity => match value {
            Value::String(s) => put_bytes(1, s.as_bytes(), out),
            Value::Number(n) => put_bytes(1, n.to_string().as_bytes(), out),
            _ => return Err(bad()),
        },
        // intstr.IntOrString: type 0 with intVal, or type 1 with strVal; all three are written.
        Special::IntOrString => {
            let (kind, int, text) = match value {
                Value::Number(n) => (0, n.as_i64().ok_or_else(bad)?, ""),
                Value::String(s) => (1, 0, s.as_str()),
                _ => return Err(bad()),
            };
            varint(1, kind, out);
            varint(2, int as u64, out);
            put_bytes(3, text.as_bytes(), out);
        }
        // runtime.RawExtension, metav1.FieldsV1, apiextensions JSON: the JSON text as bytes.
        Special::RawJson => put_bytes(1, &serde_json::to_vec(value).map_err(|e| e.to_string())?, out),
        // JSONSchemaPropsOrArray: one schema (field 1) or a list of them (field 2).
        Special::SchemaOrArray => match value {
            Value::Array(items) => {
                for item in items {
                    put_schema(2, item, out)?;
                }
            }
            other => put_schema(1, other, out)?,
        },
        // JSONSchemaPropsOrBool: allows (field 1), and a schema (field 2) which implies true.
        Special::SchemaOrBool => match value {
            Value::Bool(b) => varint(1, u64::from(*b), out),
            other => {
                varint(1, 1, out);
                put_schema(2, other, out)?;
            }
        },
        // JSONSchemaPropsOrStringArray: a schema (field 1) or property names (field 2).
        Special::SchemaOrStrings => match value {
            Value::Array(items) => {
                for item in items {
                    put_bytes(2, item.as_str().ok_or_else(bad)?.as_bytes(), out);
                }
            }
            other => put_schema(1, other, out)?,
        },
    }
    Ok(())
}

fn put_schema(tag: u32, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    let schema = schema::get();
    let props = schema.message("JSONSchemaProps").ok_or("no JSONSchemaProps message")?;
    let doc = value.as_object().ok_or("JSONSchemaProps: expected an object")?;
    let mut inner = Vec::new();
    encode_message(props, doc, &mut inner, &mut |_| false)?;
    put_bytes(tag, &inner, out);
    Ok(())
}

/// Writes the fields of `message` from `buf` as `"name":value` pairs into the JSON object
/// `out` has open (`first`: no pair written yet). A repeated field's run becomes a list, a
/// map field's an object; an inline message writes its fields into the same object.
fn write_fields(
    message: &Message,
    mut buf: &[u8],
    out: &mut Vec<u8>,
    first: &mut bool,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("proto: nesting too deep".into());
    }
    let mut seen: Vec<u32> = Vec::new();
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).map_err(err)?;
        let Some(field) = message.field(tag) else {
            skip_field(wire, tag, &mut buf, DecodeContext::default()).map_err(err)?;
            continue;
        };
        if field.inline {
            let inner = take(&mut buf)?;
            write_fields(schema::get().at(field.ty.message()), inner, out, first, depth + 1)?;
            continue;
        }
        if seen.contains(&tag) {
            return Err(format!("proto: field {:?} is not one run of entries", field.name));
        }
        seen.push(tag);
        if !std::mem::take(first) {
            out.push(b',');
        }
        text(out, field.name);
        out.push(b':');
        let many = field.repeated || matches!(field.ty, Ty::Map(_));
        match (&field.ty, many) {
            (Ty::Map(_), _) => out.push(b'{'),
            (_, true) => out.push(b'['),
            _ => {}
        }
        let mut wire = wire;
        loop {
            match &field.ty {
                Ty::Map(value_ty) => {
                    let mut entry = take(&mut buf)?;
                    let (mut key, mut value) = (String::new(), Vec::new());
                    while !entry.is_empty() {
                        let (t, w) = decode_key(&mut entry).map_err(err)?;
                        match t {
                            1 => key = utf8(take(&mut entry)?)?,
                            2 => write_value(value_ty, w, &mut entry, &mut value, depth)?,
                            _ => skip_field(w, t, &mut entry, DecodeContext::default()).map_err(err)?,
                        }
                    }
                    text(out, &key);
                    out.push(b':');
                    if value.is_empty() {
                        // An entry without its value has the type's zero value.
                        value.extend_from_slice(match **value_ty {
                            Ty::String | Ty::Bytes => b"\"\"",
                            Ty::Message(_) => b"{}",
                            Ty::Bool => b"false",
                            _ => b"0",
                        });
                    }
                    out.extend_from_slice(&value);
                }
                ty => write_value(ty, wire, &mut buf, out, depth)?,
            }
            // The run goes on while the next key is this field's.
            let mut peek = buf;
            match decode_key(&mut peek) {
                Ok((next, w)) if many && next == tag => {
                    buf = peek;
                    wire = w;
                    out.push(b',');
                }
                _ => break,
            }
        }
        match (&field.ty, many) {
            (Ty::Map(_), _) => out.push(b'}'),
            (_, true) => out.push(b']'),
            _ => {}
        }
    }
    Ok(())
}

fn write_value(ty: &Ty, wire: WireType, buf: &mut &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    use std::io::Write;
    let want =
        |w: WireType| if wire == w { Ok(()) } else { Err(format!("proto: wire type {wire:?} for a {ty:?} field")) };
    match ty {
        Ty::String => {
            want(WireType::LengthDelimited)?;
            text(out, &utf8(take(buf)?)?);
        }
        Ty::Bytes => {
            use base64::Engine;
            want(WireType::LengthDelimited)?;
            text(out, &base64::engine::general_purpose::STANDARD.encode(take(buf)?));
        }
        Ty::Int32 => {
            want(WireType::Varint)?;
            let _ = write!(out, "{}", decode_varint(buf).map_err(err)? as i32);
        }
        Ty::Int64 => {
            want(WireType::Varint)?;
            let _ = write!(out, "{}", decode_varint(buf).map_err(err)? as i64);
        }
        Ty::Bool => {
            want(WireType::Varint)?;
            out.extend_from_slice(if decode_varint(buf).map_err(err)? != 0 { b"true" } else { b"false" });
        }
        Ty::Double => {
            want(WireType::SixtyFourBit)?;
            let (head, tail) = buf.split_at_checked(8).ok_or("proto: truncated double")?;
            *buf = tail;
            let bits: [u8; 8] = head.try_into().map_err(|_| "proto: truncated double")?;
            write_number(out, f64::from_le_bytes(bits));
        }
        Ty::Message(index) => {
            want(WireType::LengthDelimited)?;
            let inner = take(buf)?;
            let message = schema::get().at(*index);
            match message.special {
                Some(special) => write_special(special, inner, out, depth)?,
                None => {
                    out.push(b'{');
                    write_fields(message, inner, out, &mut true, depth + 1)?;
                    out.push(b'}');
                }
            }
        }
        Ty::Map(_) => return Err("proto: nested map".into()),
    }
    Ok(())
}

/// Go's JSON writes a whole float64 without a fraction (`10`, not `10.0`).
fn write_number(out: &mut Vec<u8>, x: f64) {
    use std::io::Write;
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let _ = write!(out, "{}", x as i64);
    } else {
        let n = serde_json::Number::from_f64(x).map_or_else(|| "null".to_string(), |n| n.to_string());
        out.extend_from_slice(n.as_bytes());
    }
}

/// Writes one list item's JSON from its bytes.
type WriteItem<'a> = &'a dyn Fn(&[u8], &mut Vec<u8>) -> Result<(), String>;

fn write_special(special: Special, mut buf: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    use std::io::Write;
    // Read the message's fields generically (numbers → values), then shape the JSON.
    let mut ints = [0u64; 3];
    let mut texts: Vec<(u32, &[u8])> = Vec::new();
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).map_err(err)?;
        match wire {
            WireType::Varint if (1..=3).contains(&tag) => {
                ints[tag as usize - 1] = decode_varint(&mut buf).map_err(err)?
            }
            WireType::LengthDelimited => texts.push((tag, take(&mut buf)?)),
            _ => skip_field(wire, tag, &mut buf, DecodeContext::default()).map_err(err)?,
        }
    }
    let field = |n: u32| texts.iter().find(|(t, _)| *t == n).map(|(_, b)| *b);
    let schema_at = |b: &[u8], out: &mut Vec<u8>| -> Result<(), String> {
        let props = schema::get().message("JSONSchemaProps").ok_or("no JSONSchemaProps message")?;
        out.push(b'{');
        write_fields(props, b, out, &mut true, depth + 1)?;
        out.push(b'}');
        Ok(())
    };
    let list = |tag: u32, out: &mut Vec<u8>, each: WriteItem| {
        out.push(b'[');
        for (i, (_, b)) in texts.iter().filter(|(t, _)| *t == tag).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            each(b, out)?;
        }
        out.push(b']');
        Ok::<(), String>(())
    };
    match special {
        Special::Time | Special::MicroTime => {
            use crate::sim::time::{from_unix_nanos, rfc3339, rfc3339_micros};
            let t = from_unix_nanos(ints[0].saturating_mul(1_000_000_000).saturating_add(ints[1]));
            text(out, &if special == Special::Time { rfc3339(t) } else { rfc3339_micros(t) });
        }
        Special::Quantity => text(out, &utf8(field(1).unwrap_or_default())?),
        Special::IntOrString => match ints[0] {
            0 => {
                let _ = write!(out, "{}", ints[1] as i32);
            }
            _ => text(out, &utf8(field(3).unwrap_or_default())?),
        },
        Special::RawJson => {
            let raw = field(1).unwrap_or(b"null");
            serde_json::from_slice::<serde::de::IgnoredAny>(raw).map_err(|e| format!("proto: raw JSON: {e}"))?;
            out.extend_from_slice(raw);
        }
        Special::SchemaOrArray => match field(1) {
            Some(b) => schema_at(b, out)?,
            None => list(2, out, &schema_at)?,
        },
        Special::SchemaOrBool => match field(2) {
            Some(b) => schema_at(b, out)?,
            None => out.extend_from_slice(if ints[0] != 0 { b"true" } else { b"false" }),
        },
        Special::SchemaOrStrings => match field(1) {
            Some(b) => schema_at(b, out)?,
            None => list(2, out, &|b: &[u8], out: &mut Vec<u8>| utf8(b).map(|s| text(out, &s)))?,
        },
    }
    Ok(())
}
