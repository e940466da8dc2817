//! Hugo YAML front matter: finding the `---` block and reading the fields paperdex uses.
//! Values are read leniently (a lone string where a list is expected is a one-item list).

use serde_norway::Value;

/// The front-matter fields of a review page.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: String,
    pub summary: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub date: Option<String>,
}

/// Why a file's front matter could not be read, with the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub reason: String,
}

/// Splits `text` into its front matter and body. Returns the parsed fields, the body and
/// the 1-based line on which the body starts.
pub fn split(text: &str) -> Result<(FrontMatter, &str, usize), FrontMatterError> {
    let first_line = text.lines().next().unwrap_or("");
    if first_line.trim_end() != "---" {
        let reason = if text.trim().is_empty() {
            "empty file: a review page starts with `---` front matter".to_owned()
        } else {
            "no front matter: a review page starts with a `---` line".to_owned()
        };
        return Err(FrontMatterError { line: 1, reason });
    }
    let mut offset = first_line.len() + 1;
    let mut line_no = 1;
    let yaml_start = offset.min(text.len());
    let mut yaml_end = None;
    for line in text.get(yaml_start..).unwrap_or("").split_inclusive('\n') {
        line_no += 1;
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim_end() == "---" || content.trim_end() == "..." {
            yaml_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((end, body_start)) = yaml_end else {
        return Err(FrontMatterError {
            line: 1,
            reason: "front matter opened on line 1 is never closed by a `---` line".to_owned(),
        });
    };
    let yaml = &text[yaml_start..end];
    let fields = parse_yaml(yaml)?;
    Ok((fields, &text[body_start.min(text.len())..], line_no + 1))
}

fn parse_yaml(yaml: &str) -> Result<FrontMatter, FrontMatterError> {
    let value: Value = if yaml.trim().is_empty() {
        Value::Null
    } else {
        serde_norway::from_str(yaml).map_err(|e| FrontMatterError {
            // The YAML starts on line 2 of the file.
            line: e.location().map_or(1, |l| l.line() + 1),
            reason: format!("front matter is not valid YAML: {}", first_sentence(&e.to_string())),
        })?
    };
    let map = match value {
        Value::Mapping(map) => map,
        Value::Null => Default::default(),
        _ => {
            return Err(FrontMatterError {
                line: 2,
                reason: "front matter is not a YAML mapping of fields".to_owned(),
            });
        }
    };
    let get = |key: &str| map.get(key);
    Ok(FrontMatter {
        title: get("title").and_then(scalar).unwrap_or_default(),
        summary: get("summary").and_then(scalar).unwrap_or_default(),
        categories: get("categories").map(list).unwrap_or_default(),
        tags: get("tags").map(list).unwrap_or_default(),
        date: get("date").and_then(scalar),
    })
}

/// serde_norway messages end with " at line X column Y"; the line is reported separately.
fn first_sentence(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

fn list(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().filter_map(scalar).filter(|s| !s.trim().is_empty()).collect(),
        other => scalar(other).into_iter().filter(|s| !s.trim().is_empty()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_body_line() {
        let text = "---\ntitle: \"T\"\ncategories: [\"A\", \"B\"]\ntags: one\ndate: 2024-12-03\n---\nbody\n";
        let (fm, body, line) = split(text).unwrap();
        assert_eq!(fm.title, "T");
        assert_eq!(fm.categories, ["A", "B"]);
        assert_eq!(fm.tags, ["one"]);
        assert_eq!(fm.date.as_deref(), Some("2024-12-03"));
        assert_eq!(body, "body\n");
        assert_eq!(line, 7);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(split("no front matter").unwrap_err().line, 1);
        let err = split("---\ntitle: x\n").unwrap_err();
        assert!(err.reason.contains("never closed"), "{}", err.reason);
        let err = split("---\ntitle: x\ntags: [a, b\n---\n").unwrap_err();
        assert!(err.reason.contains("not valid YAML"), "{}", err.reason);
        assert!(err.line >= 3, "{}", err.line);
    }

    #[test]
    fn alias_bomb_is_an_error_not_a_hang() {
        let mut yaml =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (i, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h"]) {
            yaml.push_str(&format!(
                "{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        let text = format!("---\n{yaml}---\n");
        assert!(split(&text).is_err());
    }
}
