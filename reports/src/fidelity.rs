//! "Sediment against RocksDB": `compaction-sim` on every preset of the committed RocksDB
//! reference (`sim/testdata/rocksdb_reference.json`, from `tools/rocksdb_reference.py`), at
//! the reference's scale, in both schedules, side by side with RocksDB's figures; a chart of
//! write amplification; and, for leveled uniform-overwrite, the bytes written into each
//! level on both sides. `sim/tests/fidelity.rs` holds the same comparison to its tolerances.

use crate::charts::{ChartError, style_color};
use crate::pool;
use plotters::prelude::*;
use serde::Serialize;
use sim::compaction_sim::fidelity::{Reference, ReferenceRow, RocksdbRun, median};
use sim::compaction_sim::{CompactionSimReport, SimSchedule, run};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (980, 540);
const FONT: &str = "sans-serif";
/// The row whose per-level bytes the section shows.
const LEVELS_ROW: &str = "leveled-uniform-overwrite";

/// One figure on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub sediment_quiesced: f64,
    pub rocksdb_quiesced: f64,
    /// `None` in the quick report, which runs the quiesced schedule only.
    pub sediment_concurrent: Option<f64>,
    pub rocksdb_concurrent_low: f64,
    pub rocksdb_concurrent_high: f64,
}

impl Figure {
    fn of(
        sediment: (f64, Option<f64>),
        quiesced: &RocksdbRun,
        concurrent: &[RocksdbRun],
        figure: fn(&RocksdbRun) -> f64,
    ) -> Figure {
        let values = concurrent.iter().map(figure);
        let low = values.clone().fold(f64::INFINITY, f64::min);
        let high = values.fold(f64::NEG_INFINITY, f64::max);
        Figure {
            sediment_quiesced: sediment.0,
            rocksdb_quiesced: figure(quiesced),
            sediment_concurrent: sediment.1,
            rocksdb_concurrent_low: low,
            rocksdb_concurrent_high: high,
        }
    }

    /// Quiesced relative error, in percent.
    fn error_percent(&self) -> f64 {
        (self.sediment_quiesced / self.rocksdb_quiesced - 1.0) * 100.0
    }
}

/// One preset.
#[derive(Clone, Debug, Serialize)]
pub struct FidelityRow {
    pub name: String,
    pub write_amplification: Figure,
    pub write_amplification_vs_flush: Figure,
    pub space_amplification_mean: Figure,
    pub sorted_runs_max: Figure,
    pub stall_time_s: Figure,
    /// Quiesced bytes written into each level: Sediment, RocksDB.
    pub level_bytes_written: (Vec<u64>, Vec<u64>),
}

/// The whole section's data.
#[derive(Clone, Debug, Serialize)]
pub struct Fidelity {
    pub rocksdb_version: String,
    pub updates: u64,
    /// RocksDB's concurrent runs per preset (and Sediment's replays of them).
    pub concurrent_runs: usize,
    pub rows: Vec<FidelityRow>,
}

/// Runs `compaction-sim` on every reference row in both schedules (`quick`: quiesced only,
/// to keep the quick report short), the rows on up to `jobs` threads. Each run is seeded and
/// single-threaded, so the threads change no figure.
pub fn measure(quick: bool, jobs: usize) -> Result<Fidelity, String> {
    let reference = Reference::committed()
        .map_err(|error| format!("the committed RocksDB reference does not parse: {error}"))?;
    let rows = pool::run_all(&reference.rows, jobs, &|| {}, |row| {
        measure_row(&reference, row, quick)
    })?;
    Ok(Fidelity {
        rocksdb_version: reference.rocksdb_version,
        updates: reference.scale.updates,
        concurrent_runs: reference
            .rows
            .iter()
            .map(|row| row.concurrent.len())
            .min()
            .unwrap_or(0),
        rows,
    })
}

/// One reference row: the quiesced run, and (full report) the replays of RocksDB's
/// concurrent runs, whose median is Sediment's concurrent figure.
fn measure_row(
    reference: &Reference,
    row: &ReferenceRow,
    quick: bool,
) -> Result<FidelityRow, String> {
    let quiesced = run(&reference.args(row, SimSchedule::Quiesced))
        .map_err(|error| format!("compaction-sim {} quiesced: {error}", row.name))?;
    let replays = if quick {
        None
    } else {
        Some(
            reference
                .replay(row)
                .map_err(|error| format!("compaction-sim {} concurrent: {error}", row.name))?,
        )
    };
    let both = |figure: fn(&CompactionSimReport) -> f64| {
        let concurrent = replays
            .as_ref()
            .map(|replays| median(replays.iter().map(figure)));
        (figure(&quiesced), concurrent)
    };
    let figure = |of: fn(&CompactionSimReport) -> f64, rocksdb: fn(&RocksdbRun) -> f64| {
        Figure::of(both(of), &row.quiesced, &row.concurrent, rocksdb)
    };
    Ok(FidelityRow {
        name: row.name.clone(),
        write_amplification: figure(|r| r.write_amplification, |r| r.write_amplification),
        write_amplification_vs_flush: figure(
            |r| r.write_amplification_vs_flush,
            |r| r.write_amplification_vs_flush,
        ),
        space_amplification_mean: figure(
            |r| r.space_amplification_mean,
            |r| r.space_amplification_mean,
        ),
        sorted_runs_max: figure(|r| r.sorted_runs_max as f64, |r| r.sorted_runs_max as f64),
        stall_time_s: figure(|r| r.stall_time_s, |r| r.stall_time_s),
        level_bytes_written: (
            quiesced.level_bytes_written.clone(),
            row.quiesced.level_bytes_written.clone(),
        ),
    })
}

/// The Markdown section.
pub fn markdown(fidelity: &Fidelity) -> String {
    let mut out = String::from("## Sediment against RocksDB\n\n");
    let _ = writeln!(
        out,
        "`compaction-sim` against real RocksDB {} (`tools/rocksdb_reference.py`, committed in \
         `sim/testdata/rocksdb_reference.json`), same streams and options, {} writes per \
         preset (the presets' sizes divided by 4). Quiesced: compaction after each flush until \
         idle; concurrent: one flush and one compaction slot racing the writer. RocksDB's {} \
         concurrent runs give the band; Sediment's concurrent figure is the median of {} \
         replays, each at one RocksDB run's writer, merge and flush rates and table-deletion time \
         (the quick report runs the quiesced schedule only). `sim/tests/fidelity.rs` holds \
         quiesced figures to ±10% (sorted runs ±1) and concurrent ones to the band widened \
         by 10%.\n",
        fidelity.rocksdb_version,
        fidelity.updates,
        fidelity.concurrent_runs,
        fidelity.concurrent_runs
    );
    type Pick = fn(&FidelityRow) -> &Figure;
    let figures: [(&str, Pick); 5] = [
        ("write amp ÷ user", |r| &r.write_amplification),
        ("write amp ÷ flush", |r| &r.write_amplification_vs_flush),
        ("space amp (mean, 2nd half)", |r| {
            &r.space_amplification_mean
        }),
        ("max sorted runs", |r| &r.sorted_runs_max),
        ("stall s", |r| &r.stall_time_s),
    ];
    out.push_str(
        "| preset | figure | Sediment quiesced | RocksDB quiesced | error | Sediment concurrent | RocksDB concurrent band |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---|\n");
    for row in &fidelity.rows {
        for (name, figure) in figures {
            let f = figure(row);
            let error = if f.rocksdb_quiesced == 0.0 {
                "—".to_string()
            } else {
                format!("{:+.1}%", f.error_percent())
            };
            let concurrent = f
                .sediment_concurrent
                .map_or_else(|| "—".to_string(), |value| format!("{value:.3}"));
            let _ = writeln!(
                out,
                "| {} | {name} | {:.3} | {:.3} | {error} | {concurrent} | {:.3} – {:.3} |",
                row.name,
                f.sediment_quiesced,
                f.rocksdb_quiesced,
                f.rocksdb_concurrent_low,
                f.rocksdb_concurrent_high
            );
        }
    }
    if let Some(row) = fidelity.rows.iter().find(|row| row.name == LEVELS_ROW) {
        let _ = writeln!(
            out,
            "\nBytes written into each level, {LEVELS_ROW}, quiesced (flushes into L0):\n\n\
             | level | Sediment MB | RocksDB MB | ratio |\n|---|---:|---:|---:|"
        );
        let (ours, theirs) = &row.level_bytes_written;
        for level in 0..ours.len().max(theirs.len()) {
            let a = ours.get(level).copied().unwrap_or(0);
            let b = theirs.get(level).copied().unwrap_or(0);
            if a == 0 && b == 0 {
                continue;
            }
            let ratio = if b == 0 {
                "—".to_string()
            } else {
                format!("{:.3}", a as f64 / b as f64)
            };
            let _ = writeln!(
                out,
                "| L{level} | {:.1} | {:.1} | {ratio} |",
                a as f64 / 1e6,
                b as f64 / 1e6
            );
        }
    }
    out
}

fn chart_error(error: impl std::fmt::Display) -> ChartError {
    ChartError(error.to_string())
}

/// Write amplification (÷ flush bytes) per preset: Sediment and RocksDB quiesced, Sediment
/// concurrent, and RocksDB's concurrent band as a bar from its lowest to its highest run.
pub fn draw(dir: &Path, fidelity: &Fidelity) -> Result<Vec<PathBuf>, ChartError> {
    let path = dir.join("fidelity-write-amp.svg");
    let rows = &fidelity.rows;
    let y_max = rows
        .iter()
        .map(|row| {
            let f = &row.write_amplification_vs_flush;
            f.sediment_quiesced
                .max(f.rocksdb_quiesced)
                .max(f.sediment_concurrent.unwrap_or(0.0))
                .max(f.rocksdb_concurrent_high)
        })
        .fold(1.0f64, f64::max)
        * 1.2;
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let groups = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Write amplification ÷ flush bytes: Sediment against RocksDB",
            (FONT, 20),
        )
        .margin(16)
        .x_label_area_size(90)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..groups, 0.0..y_max)
        .map_err(chart_error)?;
    let label_of = |x: &f64| {
        let index = x.floor() as usize;
        if (x - x.floor() - 0.5).abs() < 1e-6 {
            rows.get(index)
                .map(|row| row.name.clone())
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(rows.len() * 2 + 1)
        .x_label_formatter(&label_of)
        .x_label_style((FONT, 10).into_font().transform(FontTransform::Rotate90))
        .y_desc("write amplification")
        .label_style((FONT, 12))
        .draw()
        .map_err(chart_error)?;
    type Bar = (&'static str, fn(&Figure) -> (f64, f64));
    let bars: [Bar; 4] = [
        ("Sediment quiesced", |f| (0.0, f.sediment_quiesced)),
        ("RocksDB quiesced", |f| (0.0, f.rocksdb_quiesced)),
        ("Sediment concurrent", |f| {
            (0.0, f.sediment_concurrent.unwrap_or(0.0))
        }),
        ("RocksDB concurrent band", |f| {
            (f.rocksdb_concurrent_low, f.rocksdb_concurrent_high)
        }),
    ];
    let width = 0.8 / bars.len() as f64;
    for (index, (label, span)) in bars.iter().enumerate() {
        let color = style_color(index);
        let rectangles: Vec<Rectangle<(f64, f64)>> = rows
            .iter()
            .enumerate()
            .map(|(group, row)| {
                let (low, high) = span(&row.write_amplification_vs_flush);
                let left = group as f64 + 0.1 + index as f64 * width;
                Rectangle::new([(left, low), (left + width * 0.9, high)], color.filled())
            })
            .collect();
        chart
            .draw_series(rectangles)
            .map_err(chart_error)?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 12))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(chart_error)?;
    root.present().map_err(chart_error)?;
    drop(chart);
    drop(root);
    Ok(vec![path])
}
