#[derive(steward::Service)]
enum Mode {
    Fast,
}

fn main() {}
