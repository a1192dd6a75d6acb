//! The model artifact on disk: pretty JSON with a content hash.
//!
//! Contract: [`to_json`] is a pure function of the scorecard (no clock, no
//! paths), so the same training gives the same bytes. [`load`] accepts only
//! a file of this format and version whose hash matches its content, and
//! says which of those failed (exit code 2 through [`Error::Input`]).

use std::path::Path;

use sha2::{Digest, Sha256};

use super::scorecard::{Scorecard, FORMAT, FORMAT_VERSION};
use crate::error::Error;

/// `sha256:<hex>` of the artifact serialised with an empty `content_hash`.
pub fn content_hash(card: &Scorecard) -> String {
    let mut blank = card.clone();
    blank.content_hash = String::new();
    let text = serde_json::to_string_pretty(&blank).expect("a scorecard always serialises");
    format!("sha256:{:x}", Sha256::digest(text.as_bytes()))
}

/// Fills in the content hash.
pub fn seal(card: &mut Scorecard) {
    card.content_hash = content_hash(card);
}

/// The file's text: pretty JSON and a final newline.
pub fn to_json(card: &Scorecard) -> String {
    let mut text = serde_json::to_string_pretty(card).expect("a scorecard always serialises");
    text.push('\n');
    text
}

/// Reads and checks a model file.
pub fn load(path: &Path) -> Result<Scorecard, Error> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(&file, format!("cannot read the model: {e}")))?;
    parse(&text).map_err(|message| Error::input(&file, message))
}

/// Parses and checks an artifact's text; the error says what is wrong.
pub fn parse(text: &str) -> Result<Scorecard, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a readable model (truncated or not JSON: {e}); retrain it with `earlywarn train`"
        )
    })?;
    let format = value.get("format").and_then(|f| f.as_str());
    if format != Some(FORMAT) {
        return Err(format!(
            "not an earlywarn model: \"format\" is {}, expected \"{FORMAT}\"",
            format.map_or("missing".to_string(), |f| format!("\"{f}\""))
        ));
    }
    let version = value.get("format_version").and_then(|v| v.as_u64());
    if version != Some(FORMAT_VERSION as u64) {
        return Err(format!(
            "model format version {}, this earlywarn reads version {FORMAT_VERSION}; retrain it with `earlywarn train`",
            version.map_or("missing".to_string(), |v| v.to_string())
        ));
    }
    let card: Scorecard = serde_json::from_value(value)
        .map_err(|e| format!("model does not match format version {FORMAT_VERSION}: {e}"))?;
    let expected = content_hash(&card);
    if card.content_hash != expected {
        return Err(format!(
            "model content hash does not match (file says {}, content gives {expected}): it was changed after training",
            card.content_hash
        ));
    }
    Ok(card)
}
