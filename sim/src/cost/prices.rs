//! The price table: an object store's list prices, read from a JSON file (the default,
//! `sim/prices/s3-standard-us-east-1.json`, is compiled in). Every rate must be a finite,
//! non-negative number and the file must say when its figures were taken; anything else is
//! a typed error (exit 2 at the command line).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The default table's text: AWS S3 Standard in us-east-1.
pub const DEFAULT_PRICES_JSON: &str = include_str!("../../prices/s3-standard-us-east-1.json");
/// Where the default table lives in the repository.
pub const DEFAULT_PRICES_PATH: &str = "sim/prices/s3-standard-us-east-1.json";
/// Bytes in a billed GB (AWS bills binary gigabytes).
pub const BYTES_PER_GB: f64 = (1u64 << 30) as f64;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub name: String,
    /// When the figures were taken (e.g. `2026-06`).
    pub as_of: String,
    pub source: String,
    #[serde(default)]
    pub note: String,
    pub usd_per_1000_put: f64,
    pub usd_per_1000_list: f64,
    pub usd_per_1000_get: f64,
    pub usd_per_1000_head: f64,
    pub usd_per_1000_delete: f64,
    pub usd_per_gb_month: f64,
    /// Bytes the store sends to a reader outside its region.
    pub egress_usd_per_gb: f64,
    /// Bytes a sender outside the region uploads (0 at S3: transfer in is free).
    pub ingress_usd_per_gb: f64,
}

#[derive(Debug, PartialEq)]
pub enum PriceError {
    Read {
        path: String,
        detail: String,
    },
    Parse {
        path: String,
        detail: String,
    },
    Invalid {
        path: String,
        field: &'static str,
        detail: String,
    },
}

impl std::fmt::Display for PriceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceError::Read { path, detail } => {
                write!(f, "cannot read the price table {path}: {detail}")
            }
            PriceError::Parse { path, detail } => {
                write!(f, "the price table {path} is not valid: {detail}")
            }
            PriceError::Invalid {
                path,
                field,
                detail,
            } => write!(f, "the price table {path}: {field} {detail}"),
        }
    }
}

impl std::error::Error for PriceError {}

impl PriceTable {
    /// The compiled-in default table.
    pub fn default_table() -> PriceTable {
        match PriceTable::parse(DEFAULT_PRICES_PATH, DEFAULT_PRICES_JSON) {
            Ok(table) => table,
            Err(error) => panic!("the compiled-in price table is broken: {error}"),
        }
    }

    pub fn read(path: &Path) -> Result<PriceTable, PriceError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| PriceError::Read {
            path: shown.clone(),
            detail: error.to_string(),
        })?;
        PriceTable::parse(&shown, &text)
    }

    /// Parses and validates a table; `path` only names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<PriceTable, PriceError> {
        let table: PriceTable = serde_json::from_str(text).map_err(|error| PriceError::Parse {
            path: path.to_string(),
            detail: error.to_string(),
        })?;
        table.validate(path)?;
        Ok(table)
    }

    fn validate(&self, path: &str) -> Result<(), PriceError> {
        let invalid = |field: &'static str, detail: String| PriceError::Invalid {
            path: path.to_string(),
            field,
            detail,
        };
        if self.as_of.trim().is_empty() {
            return Err(invalid(
                "as_of",
                "is empty: say when the figures were taken".into(),
            ));
        }
        for (field, value) in self.rates() {
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid(
                    field,
                    format!("must be a non-negative number, not {value}"),
                ));
            }
        }
        Ok(())
    }

    fn rates(&self) -> [(&'static str, f64); 8] {
        [
            ("usd_per_1000_put", self.usd_per_1000_put),
            ("usd_per_1000_list", self.usd_per_1000_list),
            ("usd_per_1000_get", self.usd_per_1000_get),
            ("usd_per_1000_head", self.usd_per_1000_head),
            ("usd_per_1000_delete", self.usd_per_1000_delete),
            ("usd_per_gb_month", self.usd_per_gb_month),
            ("egress_usd_per_gb", self.egress_usd_per_gb),
            ("ingress_usd_per_gb", self.ingress_usd_per_gb),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_parses() {
        let table = PriceTable::default_table();
        assert_eq!(table.usd_per_1000_put, 0.005);
        assert_eq!(table.usd_per_1000_get, 0.0004);
        assert!(!table.as_of.is_empty());
    }

    #[test]
    fn bad_tables_are_typed_errors() {
        let broken = PriceTable::parse("x.json", "{");
        assert!(matches!(broken, Err(PriceError::Parse { .. })));
        let negative =
            DEFAULT_PRICES_JSON.replace("\"usd_per_gb_month\": 0.023", "\"usd_per_gb_month\": -1");
        assert!(matches!(
            PriceTable::parse("x.json", &negative),
            Err(PriceError::Invalid {
                field: "usd_per_gb_month",
                ..
            })
        ));
        let undated = DEFAULT_PRICES_JSON.replace("\"as_of\": \"2026-06\"", "\"as_of\": \"\"");
        assert!(matches!(
            PriceTable::parse("x.json", &undated),
            Err(PriceError::Invalid { field: "as_of", .. })
        ));
        let unknown = DEFAULT_PRICES_JSON.replacen('{', "{\"usd_per_gigaflop\": 1,", 1);
        assert!(matches!(
            PriceTable::parse("x.json", &unknown),
            Err(PriceError::Parse { .. })
        ));
        let missing = PriceTable::read(Path::new("/nonexistent/prices.json"));
        assert!(matches!(missing, Err(PriceError::Read { .. })));
    }
}
