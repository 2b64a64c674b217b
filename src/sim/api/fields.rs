//! Field selectors (`fieldSelector=status.phase=Running,spec.nodeName!=worker-1`) and the field
//! labels each kind serves to them, after apimachinery's fields.ParseSelector and each
//! registry's GetAttrs / field-label conversion. Every kind serves metadata.name and
//! metadata.namespace; the others are upstream's for the kinds listed in [`FIELDS`].

use super::Object;
use std::borrow::Cow;
use std::fmt;

/// Every term must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSelector {
    pub terms: Vec<FieldTerm>,
}

/// `field=value` (or `==`), or `field!=value` when `equal` is false.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    pub value: String,
    pub equal: bool,
}

/// The field labels beyond metadata.name and metadata.namespace, by kind.
pub const FIELDS: &[(&str, &[&str])] = &[
    (
        "Pod",
        &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
    ),
    (
        "Event",
        &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
    ),
    ("Node", &["spec.unschedulable"]),
    ("Namespace", &["status.phase"]),
    ("Secret", &["type"]),
];

impl FieldSelector {
    /// The one-term selector the components watch with (`spec.nodeName=worker-1`).
    pub fn equals(field: &str, value: &str) -> Self {
        FieldSelector { terms: vec![FieldTerm { field: field.into(), value: value.into(), equal: true }] }
    }

    /// `a=b,c==d,e!=f`, with fields.ParseSelector's error for a term it cannot read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (field, value, equal) = if let Some((f, v)) = part.split_once("!=") {
                (f, v, false)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, v, true)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, v, true)
            } else {
                return Err(format!("invalid selector: '{text}'; can't understand '{part}'"));
            };
            terms.push(FieldTerm { field: field.trim().into(), value: value.trim().into(), equal });
        }
        Ok(FieldSelector { terms })
    }

    /// The first `field=value` term on one of `fields`: what a watch index can look up.
    pub fn indexed(&self, fields: &[&str]) -> Option<&FieldTerm> {
        self.terms.iter().find(|t| t.equal && fields.contains(&t.field.as_str()))
    }

    /// The first field `kind` does not serve, if any.
    pub fn unsupported(&self, kind: &str) -> Option<&str> {
        self.terms.iter().map(|t| t.field.as_str()).find(|f| !supports(kind, f))
    }

    pub fn matches(&self, o: &Object) -> bool {
        self.terms.iter().all(|t| value(o, &t.field).is_some_and(|v| (v == t.value.as_str()) == t.equal))
    }
}

/// As the apiserver echoes it: `a=b,c!=d`.
impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            let op = if t.equal { "=" } else { "!=" };
            write!(f, "{}{}{op}{}", if i > 0 { "," } else { "" }, t.field, t.value)?;
        }
        Ok(())
    }
}

pub fn supports(kind: &str, field: &str) -> bool {
    field == "metadata.name"
        || field == "metadata.namespace"
        || FIELDS.iter().any(|(k, fields)| *k == kind && fields.contains(&field))
}

/// An object's value of a field label (None: its kind does not serve that field).
pub fn value<'a>(o: &'a Object, field: &str) -> Option<Cow<'a, str>> {
    let b = |s: &'a String| Some(Cow::Borrowed(s.as_str()));
    match (o, field) {
        (_, "metadata.name") => b(&o.meta().name),
        (_, "metadata.namespace") => b(&o.meta().namespace),
        (Object::Pod(p), "spec.nodeName") => b(&p.spec.node_name),
        (Object::Pod(p), "spec.restartPolicy") => b(&p.spec.restart_policy),
        (Object::Pod(p), "spec.schedulerName") => b(&p.spec.scheduler_name),
        (Object::Pod(p), "spec.serviceAccountName") => b(&p.spec.service_account_name),
        (Object::Pod(p), "status.phase") => b(&p.status.phase),
        (Object::Pod(p), "status.podIP") => b(&p.status.pod_ip),
        (Object::Pod(p), "status.nominatedNodeName") => b(&p.status.nominated_node_name),
        (Object::Event(e), "involvedObject.kind") => b(&e.involved_object.kind),
        (Object::Event(e), "involvedObject.namespace") => b(&e.involved_object.namespace),
        (Object::Event(e), "involvedObject.name") => b(&e.involved_object.name),
        (Object::Event(e), "involvedObject.uid") => b(&e.involved_object.uid),
        (Object::Event(e), "involvedObject.apiVersion") => b(&e.involved_object.api_version),
        (Object::Event(e), "involvedObject.fieldPath") => b(&e.involved_object.field_path),
        (Object::Event(e), "reason") => b(&e.reason),
        (Object::Event(e), "reportingComponent") => b(&e.reporting_component),
        (Object::Event(e), "source") => b(&e.source.component),
        (Object::Event(e), "type") => b(&e.type_),
        (Object::Node(n), "spec.unschedulable") => {
            Some(Cow::Borrowed(if n.spec.unschedulable { "true" } else { "false" }))
        }
        (Object::Namespace(n), "status.phase") => b(&n.status.phase),
        (Object::Secret(s), "type") => b(&s.type_),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_field_has_a_value() {
        let objects = [
            Object::Pod(Box::default()),
            Object::Event(Default::default()),
            Object::Node(Default::default()),
            Object::Namespace(Default::default()),
            Object::Secret(Default::default()),
        ];
        for (kind, fields) in FIELDS {
            let o = objects.iter().find(|o| o.kind() == *kind).expect("an object of each kind");
            for f in fields.iter().chain(&["metadata.name", "metadata.namespace"]) {
                assert!(value(o, f).is_some(), "{kind} {f}");
            }
        }
    }

    #[test]
    fn parses_as_fields_parse_selector() {
        let s = FieldSelector::parse("status.phase=Running,spec.nodeName!=worker-1,metadata.name==web").unwrap();
        assert_eq!(s.to_string(), "status.phase=Running,spec.nodeName!=worker-1,metadata.name=web");
        assert_eq!(s.indexed(&["spec.nodeName", "metadata.name"]).map(|t| t.value.as_str()), Some("web"));
        assert_eq!(FieldSelector::parse("phase").unwrap_err(), "invalid selector: 'phase'; can't understand 'phase'");
        assert_eq!(s.unsupported("Pod"), None);
        assert_eq!(FieldSelector::parse("status.phase=x").unwrap().unsupported("Node"), Some("status.phase"));
    }
}
