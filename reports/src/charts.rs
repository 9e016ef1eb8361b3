//! The SVG charts, drawn with plotters' SVG backend. Text is plain SVG `<text>` (plotters'
//! built-in size estimate, no font files), so the charts build on a machine without fonts
//! and open in any browser.

use crate::cell_result::CellResult;
use crate::matrix::{STYLES, workloads};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (900, 540);
const FONT: &str = "sans-serif";

/// A chart that could not be drawn.
#[derive(Debug)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn chart_error(error: impl std::fmt::Display) -> ChartError {
    ChartError(error.to_string())
}

/// One line of a line chart.
pub(crate) struct Line {
    pub(crate) label: String,
    pub(crate) color: RGBColor,
    pub(crate) points: Vec<(f64, f64)>,
}

pub(crate) fn style_color(index: usize) -> RGBColor {
    const COLORS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    COLORS.get(index % COLORS.len()).copied().unwrap_or(BLACK)
}

/// Draws `lines` into `path` with a caption and axis names.
pub(crate) fn line_chart(
    path: &Path,
    caption: &str,
    x_name: &str,
    y_name: &str,
    lines: &[Line],
) -> Result<(), ChartError> {
    let points = lines.iter().flat_map(|line| line.points.iter());
    let (mut x_max, mut y_max) = (0.0f64, 0.0f64);
    for (x, y) in points {
        x_max = x_max.max(*x);
        y_max = y_max.max(*y);
    }
    let x_max = if x_max > 0.0 { x_max * 1.02 } else { 1.0 };
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, (FONT, 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .x_desc(x_name)
        .y_desc(y_name)
        .label_style((FONT, 13))
        .draw()
        .map_err(chart_error)?;
    for line in lines {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(chart_error)?
            .label(line.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(chart_error)?;
    root.present().map_err(chart_error)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// Write amplification (bytes PUT ÷ user bytes so far) against user MiB written, one line
/// per style, for `workload`.
fn amplification_over_time(
    dir: &Path,
    cells: &[CellResult],
    workload: &str,
) -> Result<Option<PathBuf>, ChartError> {
    let mut lines = Vec::new();
    for (index, style) in STYLES.iter().enumerate() {
        let Some(cell) = cells
            .iter()
            .find(|cell| cell.style == style.name() && cell.workload == workload)
        else {
            continue;
        };
        let Some(series) = cell.series() else {
            continue;
        };
        let points = series
            .timeline
            .iter()
            .filter(|sample| sample.user_bytes > 0)
            .map(|sample| {
                (
                    mib(sample.user_bytes),
                    sample.store_bytes_put as f64 / sample.user_bytes as f64,
                )
            })
            .collect();
        lines.push(Line {
            label: style.name().to_string(),
            color: style_color(index),
            points,
        });
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let path = dir.join(format!("amplification-over-time-{workload}.svg"));
    line_chart(
        &path,
        &format!("Write amplification over time ({workload})"),
        "user MiB written",
        "bytes PUT ÷ user bytes",
        &lines,
    )?;
    Ok(Some(path))
}

/// Bytes per level over sim time for one cell.
fn levels_over_time(dir: &Path, cell: &CellResult) -> Result<Option<PathBuf>, ChartError> {
    let Some(series) = cell.series() else {
        return Ok(None);
    };
    let levels = series
        .timeline
        .iter()
        .map(|sample| sample.level_bytes.len())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for level in 0..levels {
        let points: Vec<(f64, f64)> = series
            .timeline
            .iter()
            .map(|sample| {
                let bytes = sample.level_bytes.get(level).copied().unwrap_or(0);
                (sample.sim_time_s, mib(bytes))
            })
            .collect();
        if points.iter().all(|(_, y)| *y == 0.0) {
            continue;
        }
        lines.push(Line {
            label: format!("L{level}"),
            color: style_color(level),
            points,
        });
    }
    let physical = series
        .timeline
        .iter()
        .map(|sample| (sample.sim_time_s, mib(sample.physical_sst_bytes)))
        .collect();
    lines.push(Line {
        label: "all SSTs in the store".to_string(),
        color: RGBColor(0, 0, 0),
        points: physical,
    });
    let path = dir.join(format!("levels-{}-{}.svg", cell.style, cell.workload));
    line_chart(
        &path,
        &format!("Bytes per level ({} × {})", cell.style, cell.workload),
        "sim time (s)",
        "MiB",
        &lines,
    )?;
    Ok(Some(path))
}

/// CDFs of one distribution of `workload`'s cells, one line per style.
fn cdf_chart(
    dir: &Path,
    cells: &[CellResult],
    workload: &str,
    name: &str,
    what: &str,
    pick: impl Fn(&sim::world::RunSeries) -> &sim::world::Cdf,
    scale: f64,
) -> Result<Option<PathBuf>, ChartError> {
    let mut lines = Vec::new();
    for (index, style) in STYLES.iter().enumerate() {
        let Some(series) = cells
            .iter()
            .find(|cell| cell.style == style.name() && cell.workload == workload)
            .and_then(CellResult::series)
        else {
            continue;
        };
        let cdf = pick(series);
        if cdf.points.is_empty() {
            continue;
        }
        // A step function: each value holds its share until the next.
        let mut points = vec![(0.0, 0.0)];
        let mut previous = 0.0;
        for (value, share) in &cdf.points {
            points.push((value * scale, previous));
            points.push((value * scale, *share));
            previous = *share;
        }
        lines.push(Line {
            label: style.name().to_string(),
            color: style_color(index),
            points,
        });
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let path = dir.join(format!("{name}-{workload}.svg"));
    line_chart(
        &path,
        &format!("CDF of {what} ({workload})"),
        what,
        "share of operations at or below",
        &lines,
    )?;
    Ok(Some(path))
}

/// Bars of `figure` per workload, one bar per style.
fn bar_chart(
    dir: &Path,
    cells: &[CellResult],
    name: &str,
    what: &str,
    figure: impl Fn(&CellResult) -> f64,
) -> Result<PathBuf, ChartError> {
    let names = workloads();
    let y_max = cells.iter().map(&figure).fold(0.0f64, f64::max).max(1.0) * 1.15;
    let path = dir.join(format!("{name}.svg"));
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let groups = names.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{what} by workload and style"), (FONT, 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..groups, 0.0..y_max)
        .map_err(chart_error)?;
    let label_of = |x: &f64| {
        let index = x.floor() as usize;
        if (x - x.floor() - 0.5).abs() < 1e-6 {
            names
                .get(index)
                .map(|name| name.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len() * 2 + 1)
        .x_label_formatter(&label_of)
        .y_desc(what)
        .label_style((FONT, 13))
        .draw()
        .map_err(chart_error)?;
    let bar_width = 0.8 / STYLES.len() as f64;
    for (style_index, style) in STYLES.iter().enumerate() {
        let color = style_color(style_index);
        let bars: Vec<Rectangle<(f64, f64)>> = names
            .iter()
            .enumerate()
            .filter_map(|(group, workload)| {
                let cell = cells
                    .iter()
                    .find(|cell| cell.style == style.name() && cell.workload == *workload)?;
                let left = group as f64 + 0.1 + style_index as f64 * bar_width;
                Some(Rectangle::new(
                    [(left, 0.0), (left + bar_width * 0.9, figure(cell))],
                    color.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(chart_error)?
            .label(style.name())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(chart_error)?;
    root.present().map_err(chart_error)?;
    drop(chart);
    drop(root);
    Ok(path)
}

/// Every chart of the report, written into `dir`; returns their paths.
pub fn draw_all(dir: &Path, cells: &[CellResult]) -> Result<Vec<PathBuf>, ChartError> {
    let mut written = Vec::new();
    for workload in workloads() {
        written.extend(amplification_over_time(dir, cells, workload)?);
    }
    for cell in cells
        .iter()
        .filter(|cell| cell.workload == "uniform-overwrite")
    {
        written.extend(levels_over_time(dir, cell)?);
    }
    let read_workload = "ycsb-a";
    written.extend(cdf_chart(
        dir,
        cells,
        read_workload,
        "read-blocks-cdf",
        "SST blocks per get",
        |series| &series.read_blocks,
        1.0,
    )?);
    written.extend(cdf_chart(
        dir,
        cells,
        read_workload,
        "get-latency-cdf",
        "get latency (ms)",
        |series| &series.get_latency_us,
        1e-3,
    )?);
    written.push(bar_chart(
        dir,
        cells,
        "write-amp-by-workload",
        "write amplification",
        |cell| cell.write_amp,
    )?);
    written.push(bar_chart(
        dir,
        cells,
        "space-amp-by-workload",
        "space amplification",
        |cell| cell.space_amp,
    )?);
    Ok(written)
}
