use steward::{Context, Result};

struct Translation;

#[steward::actions]
impl Translation {
    #[action]
    async fn status(&self, _cx: &Context) -> Result<String> {
        Ok("fine".to_owned())
    }
}

fn main() {}
