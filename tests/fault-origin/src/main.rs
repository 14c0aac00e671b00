//! Runs the fault-injecting origin on its own, for the demo: `fault-origin [ADDR]`.

use edgepages_fault_origin::FaultOrigin;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9101".to_owned());
    let origin = FaultOrigin::start(&addr).await?;
    println!("fault origin listening on {}", origin.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
