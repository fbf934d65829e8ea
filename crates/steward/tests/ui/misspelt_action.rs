use steward::{Context, Continuous, HostHandle, Result, Service};

#[derive(Default, Service)]
struct Translation;

#[steward::actions]
impl Translation {
    #[action]
    async fn translate(&self, _cx: &Context, file: String) -> Result<String> {
        Ok(file)
    }
}

impl Continuous for Translation {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

async fn call(services: HostHandle) {
    let _ = services.of::<Translation>().tranlsate("a.txt".to_owned()).await;
}

fn main() {
    let _ = call;
}
