use steward::Result;

struct Translation;

#[steward::actions]
impl Translation {
    #[action]
    fn translate(&self, file: String) -> Result<String> {
        Ok(file)
    }
}

fn main() {}
