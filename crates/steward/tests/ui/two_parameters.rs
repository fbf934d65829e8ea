use steward::{Context, Result};

struct Translation;

#[steward::actions]
impl Translation {
    #[action]
    async fn translate(&self, _cx: &Context, file: String, language: String) -> Result<String> {
        Ok(file + &language)
    }
}

fn main() {}
