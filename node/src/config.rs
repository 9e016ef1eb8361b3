//! The one TOML file every subcommand reads: `[storage]`, `[aws]`, `[lsm]`, `[server]`,
//! `[remote]`.
//! Every table denies unknown keys, so a typo is an error naming the key, never a silent
//! default. Values left out take core's defaults (see [`crate::options`]).

use serde::Deserialize;
use std::fmt;
use std::path::Path;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub storage: StorageConfig,
    #[serde(default)]
    pub aws: AwsConfig,
    #[serde(default)]
    pub lsm: LsmConfig,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub remote: RemoteConfig,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// `file:///path`, `s3://bucket/prefix` or `memory://`.
    pub url: String,
}

/// S3 access; fields left out come from the `AWS_*` environment variables.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub allow_http: bool,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    #[default]
    Leveled,
    Universal,
}

/// Where the writer's compactions run.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compaction {
    /// In the writer process (or in `sediment compactor` with `serve --no-compactor`).
    #[default]
    Embedded,
    /// On `sediment worker` processes; the writer is their primary (RocksDB's remote
    /// compaction): it picks, sends jobs, validates and installs the results.
    Remote,
}

/// Remote compaction: the primary listens for workers at `listen` and every worker connects
/// there (so all processes share one file). `None` is core's default.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemoteConfig {
    #[serde(default = "default_remote_listen")]
    pub listen: String,
    /// A job not answered within this is abandoned (and rescheduled or run locally).
    pub job_timeout_ms: Option<u64>,
    /// `reschedule` (to the next worker) or `local` (compact in the writer at once).
    pub fallback: Option<lsm_core::roles::writer::RemoteFallback>,
    /// Dispatches of one plan before it is compacted locally (with `reschedule`).
    pub remote_attempts_max: Option<u32>,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        RemoteConfig {
            listen: default_remote_listen(),
            job_timeout_ms: None,
            fallback: None,
            remote_attempts_max: None,
        }
    }
}

fn default_remote_listen() -> String {
    "127.0.0.1:6380".to_string()
}

/// The tree's options under their RocksDB names; `None` is core's default. Style-specific
/// keys given for the other style are refused by [`Config::validate`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LsmConfig {
    #[serde(default)]
    pub style: Style,
    #[serde(default)]
    pub compaction: Compaction,
    pub write_buffer_size: Option<u64>,
    pub num_levels: Option<usize>,
    pub level0_file_num_compaction_trigger: Option<usize>,
    pub target_file_size_base: Option<u64>,
    pub target_file_size_multiplier: Option<u64>,
    /// RocksDB's `max_background_compactions`: jobs the compactor runs at once.
    pub max_concurrent_compactions: Option<usize>,
    // Leveled only.
    pub max_bytes_for_level_base: Option<u64>,
    pub max_bytes_for_level_multiplier: Option<f64>,
    pub level_compaction_dynamic_level_bytes: Option<bool>,
    pub max_compaction_bytes: Option<u64>,
    // Universal only.
    pub level0_stop_writes_trigger: Option<usize>,
    pub size_ratio: Option<u32>,
    pub min_merge_width: Option<u32>,
    pub max_merge_width: Option<u32>,
    pub max_size_amplification_percent: Option<u64>,
    // The processes' schedules (not RocksDB options).
    pub checkpoint_interval_ms: Option<u64>,
    pub checkpoint_lifetime_ms: Option<u64>,
    pub gc_interval_ms: Option<u64>,
    pub compactor_poll_ms: Option<u64>,
    pub manifest_poll_ms: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:6379".to_string()
}

/// Why a configuration could not be used: always names the file, and the key when one is
/// to blame.
#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: String,
        source: std::io::Error,
    },
    /// Syntax, an unknown key or a value of the wrong type (toml's message names the key).
    Parse { path: String, message: String },
    /// A well-typed value that is not allowed.
    BadValue {
        path: String,
        key: String,
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => write!(f, "{path}: {source}"),
            ConfigError::Parse { path, message } => write!(f, "{path}: {message}"),
            ConfigError::BadValue { path, key, reason } => {
                write!(f, "{path}: bad value for `{key}`: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Config::parse(&text, &shown)
    }

    /// Parses and validates `text` (read from `path`, for messages).
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: path.to_string(),
            message: error.to_string(),
        })?;
        config
            .validate()
            .map_err(|(key, reason)| ConfigError::BadValue {
                path: path.to_string(),
                key,
                reason,
            })?;
        Ok(config)
    }

    /// The checks serde's types cannot express; the error names the key.
    fn validate(&self) -> Result<(), (String, String)> {
        let lsm = &self.lsm;
        let bad = |key: &str, reason: &str| Err((format!("lsm.{key}"), reason.to_string()));
        let positive = [
            ("write_buffer_size", lsm.write_buffer_size),
            ("target_file_size_base", lsm.target_file_size_base),
            (
                "target_file_size_multiplier",
                lsm.target_file_size_multiplier,
            ),
            ("max_bytes_for_level_base", lsm.max_bytes_for_level_base),
            ("checkpoint_interval_ms", lsm.checkpoint_interval_ms),
            ("checkpoint_lifetime_ms", lsm.checkpoint_lifetime_ms),
            ("gc_interval_ms", lsm.gc_interval_ms),
            ("compactor_poll_ms", lsm.compactor_poll_ms),
            ("manifest_poll_ms", lsm.manifest_poll_ms),
        ];
        for (key, value) in positive {
            if value == Some(0) {
                return bad(key, "must be above 0");
            }
        }
        let counts = [
            ("num_levels", lsm.num_levels, 2),
            (
                "level0_file_num_compaction_trigger",
                lsm.level0_file_num_compaction_trigger,
                1,
            ),
            (
                "max_concurrent_compactions",
                lsm.max_concurrent_compactions,
                1,
            ),
            (
                "level0_stop_writes_trigger",
                lsm.level0_stop_writes_trigger,
                1,
            ),
        ];
        for (key, value, min) in counts {
            if value.is_some_and(|value| value < min) {
                return bad(key, &format!("must be at least {min}"));
            }
        }
        if let Some(multiplier) = lsm.max_bytes_for_level_multiplier
            && !(multiplier.is_finite() && multiplier >= 1.0)
        {
            return bad("max_bytes_for_level_multiplier", "must be a number >= 1");
        }
        if let Some(key) = self.foreign_style_key() {
            return bad(key, "does not apply to this `lsm.style`");
        }
        if !["file://", "s3://", "memory://"]
            .iter()
            .any(|scheme| self.storage.url.starts_with(scheme))
        {
            return Err((
                "storage.url".to_string(),
                "use file:///PATH, s3://BUCKET[/PREFIX] or memory://".to_string(),
            ));
        }
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err((
                "server.listen".to_string(),
                "not an address like 127.0.0.1:6379".to_string(),
            ));
        }
        self.validate_remote()
    }

    fn validate_remote(&self) -> Result<(), (String, String)> {
        let remote = &self.remote;
        let bad = |key: &str, reason: &str| Err((format!("remote.{key}"), reason.to_string()));
        if remote.listen.parse::<std::net::SocketAddr>().is_err() {
            return bad("listen", "not an address like 127.0.0.1:6380");
        }
        if remote.job_timeout_ms == Some(0) {
            return bad("job_timeout_ms", "must be above 0");
        }
        if remote.remote_attempts_max == Some(0) {
            return bad("remote_attempts_max", "must be at least 1");
        }
        if remote.listen == self.server.listen {
            return bad("listen", "must differ from server.listen");
        }
        Ok(())
    }

    /// A key given that belongs to the other style.
    fn foreign_style_key(&self) -> Option<&'static str> {
        let lsm = &self.lsm;
        let leveled_only = [
            (
                "max_bytes_for_level_base",
                lsm.max_bytes_for_level_base.is_some(),
            ),
            (
                "max_bytes_for_level_multiplier",
                lsm.max_bytes_for_level_multiplier.is_some(),
            ),
            (
                "level_compaction_dynamic_level_bytes",
                lsm.level_compaction_dynamic_level_bytes.is_some(),
            ),
            ("max_compaction_bytes", lsm.max_compaction_bytes.is_some()),
        ];
        let universal_only = [
            (
                "level0_stop_writes_trigger",
                lsm.level0_stop_writes_trigger.is_some(),
            ),
            ("size_ratio", lsm.size_ratio.is_some()),
            ("min_merge_width", lsm.min_merge_width.is_some()),
            ("max_merge_width", lsm.max_merge_width.is_some()),
            (
                "max_size_amplification_percent",
                lsm.max_size_amplification_percent.is_some(),
            ),
        ];
        let foreign: &[(&'static str, bool)] = match lsm.style {
            Style::Leveled => &universal_only,
            Style::Universal => &leveled_only,
        };
        foreign
            .iter()
            .find(|(_, given)| *given)
            .map(|(key, _)| *key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_file_takes_defaults() {
        let config = Config::parse("[storage]\nurl = \"file:///tmp/x\"\n", "t.toml")
            .expect("a minimal config parses");
        assert_eq!(config.lsm.style, Style::Leveled);
        assert_eq!(config.server.listen, "127.0.0.1:6379");
    }

    #[test]
    fn unknown_key_is_named() {
        let text = "[storage]\nurl = \"file:///tmp/x\"\n[lsm]\nwrite_bufer_size = 5\n";
        let error = Config::parse(text, "t.toml").expect_err("a typo is refused");
        assert!(error.to_string().contains("write_bufer_size"), "{error}");
    }

    #[test]
    fn bad_value_is_named() {
        let text = "[storage]\nurl = \"file:///tmp/x\"\n[lsm]\nnum_levels = \"seven\"\n";
        let error = Config::parse(text, "t.toml").expect_err("a string is not a count");
        assert!(error.to_string().contains("num_levels"), "{error}");
        let text = "[storage]\nurl = \"file:///tmp/x\"\n[lsm]\nwrite_buffer_size = 0\n";
        let error = Config::parse(text, "t.toml").expect_err("zero is refused");
        assert!(
            error.to_string().contains("lsm.write_buffer_size"),
            "{error}"
        );
    }

    #[test]
    fn other_styles_key_is_refused() {
        let text = "[storage]\nurl = \"file:///tmp/x\"\n[lsm]\nsize_ratio = 2\n";
        let error = Config::parse(text, "t.toml").expect_err("universal key under leveled");
        assert!(error.to_string().contains("lsm.size_ratio"), "{error}");
    }
}
