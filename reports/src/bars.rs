//! The bar charts comparing the styles on each workload: one bar per style and workload,
//! its value written above it, and — where the figure has them — the model's figure (a
//! black mark) and the C5 target (a red mark) across the bar. The caption and the y axis
//! say exactly which amplification is plotted.

use crate::cell_result::CellResult;
use crate::charts::{
    ChartError, FONT, LEGEND_WIDTH_PX, Mark, SIZE, chart_error, legend, style_color,
};
use crate::matrix::{STYLES, workloads};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

const MODEL_COLOR: RGBColor = RGBColor(0, 0, 0);
const TARGET_COLOR: RGBColor = RGBColor(220, 0, 0);

/// One bar chart of the report.
pub struct BarChart {
    /// File name without `.svg`.
    pub file: &'static str,
    pub caption: &'static str,
    /// The y axis: the figure's definition.
    pub y_desc: &'static str,
    pub value: fn(&CellResult) -> f64,
    /// The figure's name among the models' predictions and C5's targets, if it has them.
    pub figure: Option<&'static str>,
}

pub const BAR_CHARTS: [BarChart; 3] = [
    BarChart {
        file: "write-amp-by-workload",
        caption: "RocksDB-style write amplification by workload",
        y_desc: "(flush + compaction output bytes) ÷ flush bytes",
        value: |cell| cell.write_amp_rocksdb,
        figure: Some("write_rocksdb"),
    },
    BarChart {
        file: "write-amp-total-by-workload",
        caption: "Total write amplification by workload",
        y_desc: "bytes PUT to the store (WAL, SSTs, manifests) ÷ user bytes",
        value: |cell| cell.write_amp,
        figure: None,
    },
    BarChart {
        file: "space-amp-by-workload",
        caption: "Space amplification by workload",
        y_desc: "SST bytes referenced ÷ live logical bytes",
        value: |cell| cell.space_amp,
        figure: Some("space"),
    },
];

/// One bar: where it stands and what it shows.
struct Bar {
    left: f64,
    right: f64,
    value: f64,
    model: Option<f64>,
    target: Option<f64>,
}

fn bars_of(cells: &[CellResult], chart: &BarChart, style_index: usize) -> Vec<Bar> {
    let width = 0.8 / STYLES.len() as f64;
    let style = STYLES[style_index].name();
    workloads()
        .iter()
        .enumerate()
        .filter_map(|(group, workload)| {
            let cell = cells
                .iter()
                .find(|cell| cell.style == style && cell.workload == *workload)?;
            let left = group as f64 + 0.1 + style_index as f64 * width;
            Some(Bar {
                left,
                right: left + width * 0.9,
                value: (chart.value)(cell),
                model: chart
                    .figure
                    .and_then(|figure| cell.prediction(figure))
                    .map(|p| p.value),
                target: chart
                    .figure
                    .and_then(|figure| cell.target(figure))
                    .map(|t| t.target),
            })
        })
        .collect()
}

/// `1.23` under 10, `12.3` under 100, `123` above.
fn value_label(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2}")
    } else if value < 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

/// Draws `chart` into `dir`; returns its path.
pub fn draw(dir: &Path, cells: &[CellResult], chart: &BarChart) -> Result<PathBuf, ChartError> {
    let names = workloads();
    let all: Vec<Vec<Bar>> = (0..STYLES.len())
        .map(|style_index| bars_of(cells, chart, style_index))
        .collect();
    let y_max = all
        .iter()
        .flatten()
        .flat_map(|bar| [Some(bar.value), bar.model, bar.target])
        .flatten()
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let path = dir.join(format!("{}.svg", chart.file));
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH_PX);
    let groups = names.len() as f64;
    let mut context = ChartBuilder::on(&plot)
        .caption(chart.caption, (FONT, 22))
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
    context
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len() * 2 + 1)
        .x_label_formatter(&label_of)
        .y_desc(chart.y_desc)
        .label_style((FONT, 13))
        .draw()
        .map_err(chart_error)?;
    let above = TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (style_index, bars) in all.iter().enumerate() {
        let color = style_color(style_index);
        context
            .draw_series(bars.iter().map(|bar| {
                Rectangle::new([(bar.left, 0.0), (bar.right, bar.value)], color.filled())
            }))
            .map_err(chart_error)?;
        context
            .draw_series(bars.iter().map(|bar| {
                let middle = (bar.left + bar.right) / 2.0;
                Text::new(value_label(bar.value), (middle, bar.value), above.clone())
            }))
            .map_err(chart_error)?;
        for (mark, color) in [
            ((|bar| bar.model) as fn(&Bar) -> Option<f64>, MODEL_COLOR),
            (|bar| bar.target, TARGET_COLOR),
        ] {
            context
                .draw_series(bars.iter().filter_map(|bar| {
                    let y = mark(bar)?;
                    Some(PathElement::new(
                        vec![(bar.left, y), (bar.right, y)],
                        color.stroke_width(3),
                    ))
                }))
                .map_err(chart_error)?;
        }
    }
    let mut entries: Vec<(String, RGBColor, Mark)> = STYLES
        .iter()
        .enumerate()
        .map(|(index, style)| (style.name().to_string(), style_color(index), Mark::Box))
        .collect();
    if chart.figure.is_some() {
        entries.push(("model".to_string(), MODEL_COLOR, Mark::Line));
        entries.push(("C5 target".to_string(), TARGET_COLOR, Mark::Line));
    }
    legend(&side, &entries)?;
    root.present().map_err(chart_error)?;
    Ok(dir.join(format!("{}.svg", chart.file)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_labelled_with_three_significant_figures_at_most() {
        assert_eq!(value_label(1.234), "1.23");
        assert_eq!(value_label(12.34), "12.3");
        assert_eq!(value_label(123.4), "123");
    }
}
