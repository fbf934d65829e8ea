use steward::{Context, Result};

struct Ledger;

#[steward::actions]
impl Ledger {
    #[action]
    async fn history(&self, _cx: &Context) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

fn main() {}
