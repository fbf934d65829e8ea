#[derive(Default, steward::Service)]
struct Forgotten;

fn main() {}
