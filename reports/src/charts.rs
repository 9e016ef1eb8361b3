//! The SVG charts, drawn with plotters' SVG backend. Text is plain SVG `<text>` (plotters'
//! built-in size estimate, no font files), so the charts build on a machine without fonts
//! and open in any browser.

use crate::cell_result::CellResult;
use crate::matrix::{STYLES, workloads};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

pub(crate) const SIZE: (u32, u32) = (900, 540);
pub(crate) const FONT: &str = "sans-serif";
/// Width of the legend column right of the plot, so no legend covers a line or a bar.
pub(crate) const LEGEND_WIDTH_PX: u32 = 190;

/// A chart that could not be drawn.
#[derive(Debug)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn chart_error(error: impl std::fmt::Display) -> ChartError {
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

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Mark {
    Line,
    Box,
}

/// The legend in its own column right of the plot: one row per entry.
pub(crate) fn legend(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    entries: &[(String, RGBColor, Mark)],
) -> Result<(), ChartError> {
    const TOP_PX: i32 = 60;
    const ROW_PX: i32 = 22;
    for (row, (label, color, mark)) in entries.iter().enumerate() {
        let y = TOP_PX + row as i32 * ROW_PX;
        match mark {
            Mark::Line => area.draw(&PathElement::new(
                vec![(8, y), (30, y)],
                color.stroke_width(3),
            )),
            Mark::Box => area.draw(&Rectangle::new([(12, y - 6), (26, y + 6)], color.filled())),
        }
        .map_err(chart_error)?;
        area.draw(&Text::new(
            label.clone(),
            (38, y - 7),
            (FONT, 13).into_font(),
        ))
        .map_err(chart_error)?;
    }
    Ok(())
}

/// The x axis of a line chart: linear, or logarithmic (base 10) for values that span
/// orders of magnitude, such as latencies.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum XAxis {
    Linear,
    Log10,
}

/// `1.5`, `20`, `300`, `4k`: a tick label of a log axis.
fn compact(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if value >= 10.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Draws `lines` into `path` with a caption, axis names and a legend beside the plot.
pub(crate) fn line_chart(
    path: &Path,
    caption: &str,
    x_name: &str,
    y_name: &str,
    lines: &[Line],
) -> Result<(), ChartError> {
    line_chart_on_axis(path, caption, x_name, y_name, lines, XAxis::Linear)
}

/// As `line_chart`, on the given x axis. A log axis plots log10(x) and labels the ticks
/// with x itself; points with x <= 0 cannot be shown on it and are left out.
pub(crate) fn line_chart_on_axis(
    path: &Path,
    caption: &str,
    x_name: &str,
    y_name: &str,
    lines: &[Line],
    axis: XAxis,
) -> Result<(), ChartError> {
    let place = |x: f64| match axis {
        XAxis::Linear => Some(x),
        XAxis::Log10 => (x > 0.0).then(|| x.log10()),
    };
    let placed: Vec<Vec<(f64, f64)>> = lines
        .iter()
        .map(|line| {
            line.points
                .iter()
                .filter_map(|(x, y)| Some((place(*x)?, *y)))
                .collect()
        })
        .collect();
    let (mut x_min, mut x_max, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for (x, y) in placed.iter().flatten() {
        x_min = x_min.min(*x);
        x_max = x_max.max(*x);
        y_max = y_max.max(*y);
    }
    let (x_min, x_max) = match axis {
        _ if x_min > x_max => (0.0, 1.0),
        XAxis::Linear => (0.0, if x_max > 0.0 { x_max * 1.02 } else { 1.0 }),
        XAxis::Log10 => (x_min.floor(), x_max.ceil().max(x_min.floor() + 1.0)),
    };
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH_PX);
    let mut chart = ChartBuilder::on(&plot)
        .caption(caption, (FONT, 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x_min..x_max, 0.0..y_max)
        .map_err(chart_error)?;
    let x_label = |x: &f64| match axis {
        XAxis::Linear => format!("{x}"),
        XAxis::Log10 => compact(10f64.powf(*x)),
    };
    let x_desc = match axis {
        XAxis::Linear => x_name.to_string(),
        XAxis::Log10 => format!("{x_name}, log scale"),
    };
    // On a log axis, one label per decade.
    let x_labels = match axis {
        XAxis::Linear => 10,
        XAxis::Log10 => (x_max - x_min).round() as usize + 1,
    };
    chart
        .configure_mesh()
        .x_labels(x_labels)
        .x_desc(x_desc)
        .y_desc(y_name)
        .x_label_formatter(&x_label)
        .label_style((FONT, 13))
        .draw()
        .map_err(chart_error)?;
    for (line, points) in lines.iter().zip(placed) {
        chart
            .draw_series(LineSeries::new(points, line.color.stroke_width(2)))
            .map_err(chart_error)?;
    }
    let entries: Vec<(String, RGBColor, Mark)> = lines
        .iter()
        .map(|line| (line.label.clone(), line.color, Mark::Line))
        .collect();
    legend(&side, &entries)?;
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

/// How a distribution's values are shown: multiplied by `scale`, on `axis`.
#[derive(Clone, Copy)]
struct CdfValues {
    scale: f64,
    axis: XAxis,
}

/// CDFs of one distribution of `workload`'s cells, one line per style.
fn cdf_chart(
    dir: &Path,
    cells: &[CellResult],
    workload: &str,
    (name, what): (&str, &str),
    pick: impl Fn(&sim::world::RunSeries) -> &sim::world::Cdf,
    CdfValues { scale, axis }: CdfValues,
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
        // A step function: each value holds its share until the next (from 0, or on a log
        // axis from the smallest value).
        let start = match axis {
            XAxis::Linear => 0.0,
            XAxis::Log10 => cdf.points[0].0 * scale,
        };
        let mut points = vec![(start, 0.0)];
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
    line_chart_on_axis(
        &path,
        &format!("CDF of {what} ({workload})"),
        what,
        "share of operations at or below",
        &lines,
        axis,
    )?;
    Ok(Some(path))
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
        ("read-blocks-cdf", "SST blocks per get"),
        |series| &series.read_blocks,
        CdfValues {
            scale: 1.0,
            axis: XAxis::Linear,
        },
    )?);
    written.extend(cdf_chart(
        dir,
        cells,
        read_workload,
        ("get-latency-cdf", "get latency (ms)"),
        |series| &series.get_latency_us,
        CdfValues {
            scale: 1e-3,
            axis: XAxis::Log10,
        },
    )?);
    for bars in crate::bars::BAR_CHARTS {
        written.push(crate::bars::draw(dir, cells, &bars)?);
    }
    Ok(written)
}
