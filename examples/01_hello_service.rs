//! The smallest host: one continuous service that greets every second until Ctrl-C.
//!
//! ```sh
//! cargo run --example 01_hello_service
//! ```

use std::time::Duration;

use steward::{Context, Continuous, Host, Result, continuous};
use tracing::info;

struct Greeter;

impl Continuous for Greeter {
    async fn run(&self, cx: &Context) -> Result {
        let mut beat = tokio::time::interval(Duration::from_secs(1));
        // `run_until_cancelled` returns `None` once the host asks us to stop.
        while cx.run_until_cancelled(beat.tick()).await.is_some() {
            info!("hello from {}", cx.name());
        }
        info!("goodbye");
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    Host::builder()
        .service(continuous("greeter", Greeter))
        .build()?
        .run()
        .await?;
    Ok(())
}
