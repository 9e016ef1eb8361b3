//! What each topology and style costs on a real object store: embedded vs standalone vs
//! remote compaction, and leveled vs universal vs log, on the report's workloads.
//!
//! Each point is one simulated run at the report's scale and fault level, `wal` durability,
//! seed [`SEED`]. The simulated store counts every request it receives by the node that
//! sent it (`sim::cost`); the default placement puts the writer cross-region and the
//! compactor, the garbage collector and the workers in the bucket's region, so an embedded
//! topology pays egress for every byte its compactions read and a standalone or remote one
//! does not. The price table is the compiled-in default (`sim/prices/`), dated in the text.

use crate::charts::{
    ChartError, FONT, LEGEND_WIDTH_PX, Mark, SIZE, chart_error, legend, style_color,
};
use crate::matrix::{SEED, Scale};
use crate::pool;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;
use sim::cost::{CostEstimate, PriceTable, Role};
use sim::world::{
    FaultLevel, LogCompaction, Overrides, Topology, WorldConfig, WorldStyle, set_workload,
    world_preset,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const TOPOLOGIES: [Topology; 3] = [Topology::Embedded, Topology::Standalone, Topology::Remote];
const STYLES: [WorldStyle; 3] = [
    WorldStyle::Leveled,
    WorldStyle::Universal,
    WorldStyle::Log(LogCompaction::Lookup),
];
/// The workloads of the cost runs: the quick report keeps to one.
const QUICK_WORKLOADS: [&str; 1] = ["uniform-overwrite"];
const FULL_WORKLOADS: [&str; 2] = ["uniform-overwrite", "ycsb-a"];

/// One run's bill.
#[derive(Clone, Debug, Serialize)]
pub struct CostPoint {
    pub topology: &'static str,
    pub style: &'static str,
    pub workload: &'static str,
    pub verdict: String,
    pub user_writes: u64,
    pub requests_per_user_op: f64,
    pub egress_bytes_per_user_byte: f64,
    pub usd_per_million_writes: f64,
    pub storage_usd_per_live_gb_month: f64,
    /// Bytes each role read from the bucket.
    pub downloaded_bytes_by_role: BTreeMap<Role, u64>,
    pub estimate: CostEstimate,
}

fn workloads(quick: bool) -> &'static [&'static str] {
    if quick {
        &QUICK_WORKLOADS
    } else {
        &FULL_WORKLOADS
    }
}

/// Runs `measure` makes (for a progress bar).
pub fn runs(quick: bool) -> usize {
    TOPOLOGIES.len() * STYLES.len() * workloads(quick).len()
}

/// Every topology × style × workload on up to `jobs` threads; `done` is called after each
/// run.
pub fn measure(
    scale: Scale,
    quick: bool,
    faults: FaultLevel,
    jobs: usize,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<CostPoint>, String> {
    let mut specs = Vec::new();
    for workload in workloads(quick) {
        for style in STYLES {
            for topology in TOPOLOGIES {
                specs.push((*workload, style, topology));
            }
        }
    }
    assert_eq!(specs.len(), runs(quick));
    pool::run_all(&specs, jobs, done, |(workload, style, topology)| {
        run(scale, faults, *topology, *style, workload)
    })
}

fn config(
    scale: Scale,
    faults: FaultLevel,
    topology: Topology,
    style: WorldStyle,
    workload: &str,
) -> WorldConfig {
    let log_compaction = match style {
        WorldStyle::Log(kind) => Some(kind),
        _ => None,
    };
    let overrides = Overrides {
        ops: Some(scale.ops),
        clients: Some(scale.clients),
        style: Some(style),
        log_compaction,
        faults: Some(faults),
        topology: Some(topology),
        durability: sim::world::parse_durability("wal"),
        ..Overrides::default()
    };
    let mut config = WorldConfig::draw(SEED, &overrides);
    config.writer.memtable_size_bytes = scale.memtable_size_bytes;
    config.writer.commit_entries_max = 16;
    config.writer.commit_window_ms = 2;
    config.clients.think_ms_mean = 20;
    config.clients.op_timeout_ms = 10_000;
    config.clients.key_space = scale.key_space;
    if let Some(spec) = world_preset(workload, scale.key_space, scale.ops) {
        set_workload(&mut config.clients, spec);
    }
    config
}

fn run(
    scale: Scale,
    faults: FaultLevel,
    topology: Topology,
    style: WorldStyle,
    workload: &'static str,
) -> Result<CostPoint, String> {
    let label = format!(
        "cost {} {} {workload}",
        topology_name(topology),
        style.name()
    );
    let config = config(scale, faults, topology, style, workload);
    let report = sim::world::run(config, None, format!("reports ({label})"))
        .map_err(|error| format!("{label}: {error}"))?;
    let Some(cost) = report.cost else {
        return Err(format!("{label}: the run reported no cost"));
    };
    let estimate = cost.estimate;
    Ok(CostPoint {
        topology: topology_name(topology),
        style: style.name(),
        workload,
        verdict: report.verdict,
        user_writes: cost.accounting.user_writes,
        requests_per_user_op: estimate.requests_per_user_op,
        egress_bytes_per_user_byte: estimate.egress_bytes_per_user_byte,
        usd_per_million_writes: estimate.usd_per_million_writes,
        storage_usd_per_live_gb_month: estimate.storage_usd_per_live_gb_month,
        downloaded_bytes_by_role: cost
            .accounting
            .roles
            .iter()
            .map(|(role, tally)| (*role, tally.total().downloaded_bytes))
            .collect(),
        estimate,
    })
}

fn topology_name(topology: Topology) -> &'static str {
    match topology {
        Topology::Embedded => "embedded",
        Topology::Standalone => "standalone",
        Topology::Remote => "remote",
    }
}

/// The point of `style` × `topology` on `workload`, if it ran.
fn point<'a>(
    points: &'a [CostPoint],
    workload: &str,
    style: &str,
    topology: &str,
) -> Option<&'a CostPoint> {
    points
        .iter()
        .find(|p| p.workload == workload && p.style == style && p.topology == topology)
}

/// `$ per million writes` by style, one bar per topology, for the first workload.
pub fn draw(dir: &Path, points: &[CostPoint]) -> Result<Vec<PathBuf>, ChartError> {
    let Some(workload) = points.first().map(|p| p.workload) else {
        return Ok(Vec::new());
    };
    let file = "cost-by-topology";
    let path = dir.join(format!("{file}.svg"));
    let y_max = points
        .iter()
        .filter(|p| p.workload == workload)
        .map(|p| p.usd_per_million_writes)
        .fold(0.0f64, f64::max)
        .max(1e-6)
        * 1.15;
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH_PX);
    let caption = format!("$ per million writes by topology ({workload})");
    let mut context = ChartBuilder::on(&plot)
        .caption(caption, (FONT, 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..STYLES.len() as f64, 0.0..y_max)
        .map_err(chart_error)?;
    let label_of = |x: &f64| {
        let index = x.floor() as usize;
        if (x - x.floor() - 0.5).abs() < 1e-6 {
            STYLES
                .get(index)
                .map(|s| s.name().to_string())
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    context
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(STYLES.len() * 2 + 1)
        .x_label_formatter(&label_of)
        .y_desc("(request + egress $) ÷ user writes × 10⁶")
        .label_style((FONT, 13))
        .draw()
        .map_err(chart_error)?;
    let above = TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    let width = 0.8 / TOPOLOGIES.len() as f64;
    for (t, topology) in TOPOLOGIES.iter().enumerate() {
        let bars: Vec<(f64, f64, f64)> = STYLES
            .iter()
            .enumerate()
            .filter_map(|(s, style)| {
                let p = point(points, workload, style.name(), topology_name(*topology))?;
                let left = s as f64 + 0.1 + t as f64 * width;
                Some((left, left + width * 0.9, p.usd_per_million_writes))
            })
            .collect();
        let color = style_color(t);
        context
            .draw_series(bars.iter().map(|(left, right, value)| {
                Rectangle::new([(*left, 0.0), (*right, *value)], color.filled())
            }))
            .map_err(chart_error)?;
        context
            .draw_series(bars.iter().map(|(left, right, value)| {
                Text::new(
                    format!("{value:.3}"),
                    ((left + right) / 2.0, *value),
                    above.clone(),
                )
            }))
            .map_err(chart_error)?;
    }
    let entries: Vec<(String, RGBColor, Mark)> = TOPOLOGIES
        .iter()
        .enumerate()
        .map(|(t, topology)| {
            (
                topology_name(*topology).to_string(),
                style_color(t),
                Mark::Box,
            )
        })
        .collect();
    legend(&side, &entries)?;
    root.present().map_err(chart_error)?;
    Ok(vec![dir.join(format!("{file}.svg"))])
}

/// The section of `report.md`.
pub fn markdown(points: &[CostPoint]) -> String {
    let prices = PriceTable::default_table();
    let mut out = String::new();
    let _ = writeln!(out, "## What each topology costs on an object store\n");
    let _ = writeln!(
        out,
        "Measured: every request the simulated store received, by the node that sent it \
         (writer hosts, standalone compactors, the garbage collector, remote workers; the \
         checks read the store's state directly and send none), by kind (PUT, GET whole or \
         ranged, HEAD, LIST, DELETE) and by object class, with the PUT bytes uploaded and the \
         object bytes of every reply. A test holds the roles' sum equal to the store's own \
         tally. Priced with {} as of {} (`sim/prices/s3-standard-us-east-1.json`: PUT and \
         LIST ${}/1,000, GET and HEAD ${}/1,000, DELETE free, ${}/GB transferred out, transfer \
         in free, ${}/GB-month). Placement: the writer cross-region (all it reads is egress, \
         its embedded compactions included), the compactor, the GC and the workers in the \
         bucket's region (free transfer). Requests counted include those the store refused \
         under faults (an upper bound). `$/M writes` = (requests + egress) ÷ acknowledged \
         user writes × 10⁶; storage is the time-weighted mean of the whole bucket (WAL, \
         manifests, SSTs pending deletion, `tmp/`) at the GB-month rate, per live logical GB. \
         One seed ({SEED}) per point, `wal` durability; log uses Garnet's lookup compaction.\n",
        prices.name,
        prices.as_of,
        prices.usd_per_1000_put,
        prices.usd_per_1000_get,
        prices.egress_usd_per_gb,
        prices.usd_per_gb_month
    );
    let _ = writeln!(
        out,
        "| workload | style | topology | verdict | requests/user op | egress bytes/user byte | $/M writes | storage $/live GB-month | bytes read: writer / compactor / workers |"
    );
    let _ = writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---|");
    for p in points {
        let read = |role: Role| p.downloaded_bytes_by_role.get(&role).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} | {:.3} | {:.4} | {:.4} | {} / {} / {} |",
            p.workload,
            p.style,
            p.topology,
            p.verdict,
            p.requests_per_user_op,
            p.egress_bytes_per_user_byte,
            p.usd_per_million_writes,
            p.storage_usd_per_live_gb_month,
            read(Role::Writer),
            read(Role::Compactor),
            read(Role::Workers)
        );
    }
    if let Some(line) = headline(points) {
        let _ = writeln!(out, "\n{line}");
    }
    out
}

/// Embedded against standalone, leveled, on the first workload: what an in-region
/// compactor changes in egress and dollars, whichever way it goes.
pub fn headline(points: &[CostPoint]) -> Option<String> {
    let workload = points.first()?.workload;
    let embedded = point(points, workload, "leveled", "embedded")?;
    let standalone = point(points, workload, "leveled", "standalone")?;
    let change = |from: f64, to: f64| {
        if from > 0.0 {
            format!("{:+.0}%", (to / from - 1.0) * 100.0)
        } else {
            "from zero".to_string()
        }
    };
    let read = |p: &CostPoint, role: Role| p.downloaded_bytes_by_role.get(&role).copied();
    Some(format!(
        "Headline ({workload}, leveled): against an embedded writer across regions, an \
         in-region standalone compactor takes egress from {:.3} to {:.3} bytes per user byte \
         ({}) and the bill from ${:.4} to ${:.4} per million writes ({}). The embedded \
         writer's compactions read their inputs from its table reader cache when the tables \
         are there (it read {} bytes in all); the standalone compactor read {} bytes \
         in-region, and the writer then polls the manifest for its installs and reads the \
         new tables across the region boundary.",
        embedded.egress_bytes_per_user_byte,
        standalone.egress_bytes_per_user_byte,
        change(
            embedded.egress_bytes_per_user_byte,
            standalone.egress_bytes_per_user_byte
        ),
        embedded.usd_per_million_writes,
        standalone.usd_per_million_writes,
        change(
            embedded.usd_per_million_writes,
            standalone.usd_per_million_writes
        ),
        read(embedded, Role::Writer).unwrap_or(0),
        read(standalone, Role::Compactor).unwrap_or(0),
    ))
}
