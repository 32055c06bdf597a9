//! A small JSON Schema (draft 2020-12) validator for the keywords the repository's schemas
//! use: `type`, `properties`, `required`, `additionalProperties: false`, `items`, `enum`,
//! `const`, `$ref` into `#/$defs`, `anyOf`, `minimum`, `minLength`, `pattern`. An unknown
//! keyword fails loudly, so the schema cannot silently outgrow the validator.

use serde_json::Value;
use std::path::Path;

const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "$ref",
    "anyOf",
    "minimum",
    "minLength",
    "pattern",
];

pub fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every violation of `schema` by `value`, as `pointer: problem`.
pub fn errors(schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, schema, value, "", &mut out);
    out
}

pub fn assert_valid_json_output(value: &Value) {
    thread_local! {
        static SCHEMA: Value = load("json-output.schema.json");
    }
    let problems = SCHEMA.with(|schema| errors(schema, value));
    assert!(
        problems.is_empty(),
        "--format json output does not match schemas/json-output.schema.json:\n{}\n{}",
        problems.join("\n"),
        serde_json::to_string_pretty(value).unwrap()
    );
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("unknown type `{other}` in schema"),
    }
}

fn resolve<'s>(root: &'s Value, reference: &str) -> &'s Value {
    let pointer = reference.strip_prefix('#').expect("local $ref only");
    root.pointer(pointer)
        .unwrap_or_else(|| panic!("unresolved $ref {reference}"))
}

fn check(root: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    for key in schema.keys() {
        assert!(
            KNOWN.contains(&key.as_str()),
            "schema keyword `{key}` not supported"
        );
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        check(root, resolve(root, reference), value, at, out);
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type"),
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            out.push(format!("{at}: {value} is not of type {types}"));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            out.push(format!(
                "{at}: {value} is not one of {}",
                Value::Array(options.clone())
            ));
        }
    }
    if let Some(expected) = schema.get("const") {
        if expected != value {
            out.push(format!("{at}: {value} is not {expected}"));
        }
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        if !options.iter().any(|o| errors_at(root, o, value).is_empty()) {
            out.push(format!("{at}: {value} matches none of anyOf"));
        }
    }
    check_scalars(schema, value, at, out);
    check_object(root, schema, value, at, out);
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{at}/{index}"), out);
        }
    }
}

fn errors_at(root: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(root, schema, value, "", &mut out);
    out
}

fn check_scalars(
    schema: &serde_json::Map<String, Value>,
    value: &Value,
    at: &str,
    out: &mut Vec<String>,
) {
    if let (Some(minimum), Some(number)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if number < minimum {
            out.push(format!("{at}: {number} < minimum {minimum}"));
        }
    }
    if let (Some(min), Some(text)) = (
        schema.get("minLength").and_then(Value::as_u64),
        value.as_str(),
    ) {
        if (text.chars().count() as u64) < min {
            out.push(format!("{at}: {text:?} shorter than {min}"));
        }
    }
    if let (Some(pattern), Some(text)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) {
        if !regex::Regex::new(pattern).unwrap().is_match(text) {
            out.push(format!("{at}: {text:?} does not match {pattern}"));
        }
    }
}

fn check_object(
    root: &Value,
    schema: &serde_json::Map<String, Value>,
    value: &Value,
    at: &str,
    out: &mut Vec<String>,
) {
    let Some(object) = value.as_object() else {
        return;
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    for required in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = required.as_str().unwrap();
        if !object.contains_key(name) {
            out.push(format!("{at}: missing required `{name}`"));
        }
    }
    for (key, item) in object {
        match properties.and_then(|p| p.get(key)) {
            Some(property) => check(root, property, item, &format!("{at}/{key}"), out),
            None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                out.push(format!("{at}: unexpected property `{key}`"))
            }
            None => {}
        }
    }
}
