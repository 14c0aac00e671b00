//! Command-line arguments every subcommand takes: the global flags. The subcommands themselves,
//! one per module in `commands/`, are gathered in `app.rs`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct Global {
    /// The config file.
    #[arg(long, global = true, env = "EDGEPAGES_CONFIG", default_value = "edgepages.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// Say more on stderr: progress, and every cause of an error.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Print results on stdout as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}
