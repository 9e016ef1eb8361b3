//! Summary lines that fit a terminal: comma-separated items packed into lines of at most
//! [`SUMMARY_COLUMNS`] columns.

use std::fmt::Write as _;

/// Columns a summary line may take (a single item longer than that, such as a path, is
/// kept whole on its own line).
pub const SUMMARY_COLUMNS: usize = 100;

/// Writes `items` after `head`, comma-separated, on as many lines as keep each within
/// [`SUMMARY_COLUMNS`]; continuation lines are indented by two spaces.
pub fn write_wrapped(out: &mut String, head: &str, items: &[String]) {
    let mut line = head.to_string();
    for (index, item) in items.iter().enumerate() {
        let separator = if index == 0 { " " } else { ", " };
        // A line that continues ends with the comma.
        let comma = usize::from(index + 1 < items.len());
        let fits = line.len() + separator.len() + item.len() + comma <= SUMMARY_COLUMNS;
        if index > 0 && !fits {
            let _ = writeln!(out, "{line},");
            line = format!("  {item}");
        } else {
            line.push_str(separator);
            line.push_str(item);
        }
    }
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(count: usize, width: usize) -> Vec<String> {
        (0..count).map(|i| format!("{i:0width$}")).collect()
    }

    #[test]
    fn short_lists_stay_on_one_line() {
        let mut out = String::new();
        write_wrapped(&mut out, "faults:", &items(3, 2));
        assert_eq!(out, "faults: 00, 01, 02\n");
    }

    #[test]
    fn long_lists_wrap_within_the_columns_and_keep_every_item_in_order() {
        let mut out = String::new();
        let list = items(40, 9);
        write_wrapped(&mut out, "checks:", &list);
        assert!(out.lines().count() > 1);
        for line in out.lines() {
            assert!(
                line.len() <= SUMMARY_COLUMNS,
                "{} columns: {line}",
                line.len()
            );
        }
        let joined: Vec<&str> = out
            .trim_start_matches("checks:")
            .split(',')
            .map(str::trim)
            .collect();
        assert_eq!(joined, list);
    }

    #[test]
    fn an_item_wider_than_a_line_is_kept_whole() {
        let mut out = String::new();
        let wide = "x".repeat(SUMMARY_COLUMNS + 5);
        write_wrapped(&mut out, "failed:", &["a".to_string(), wide.clone()]);
        assert_eq!(out, format!("failed: a,\n  {wide}\n"));
    }

    #[test]
    fn no_items_print_the_head_alone() {
        let mut out = String::new();
        write_wrapped(&mut out, "faults:", &[]);
        assert_eq!(out, "faults:\n");
    }
}
