//! `sim bugs`: the injectable protocol bugs, one sentence each (see `lsm_core::bugs`).

use lsm_core::bugs::Bug;
use std::process::ExitCode;

pub fn run() -> ExitCode {
    let width = Bug::ALL
        .iter()
        .map(|bug| bug.name().len())
        .max()
        .unwrap_or(0);
    for bug in Bug::ALL {
        println!("{:width$}  {}", bug.name(), bug.description());
    }
    ExitCode::SUCCESS
}
