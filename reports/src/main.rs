//! Amplification reports. Not built yet: the reports issue adds them.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("reports: amplification reports are not built yet (see the project's issues)");
    std::process::exit(2);
}
