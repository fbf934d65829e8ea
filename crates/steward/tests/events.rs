//! Events: typed and by-name subscriptions, filters, once, wildcards, unsubscribing
//! on drop, what a slow subscriber misses, and handlers that panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::json;
use steward::testing::TestHost;
use steward::{Context, Continuous, Event, Result, State, continuous};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct FileCreated {
    path: String,
}

impl Event for FileCreated {
    const NAME: &'static str = "file.created";
}

/// Emits what it is told to over a channel: typed paths, or raw JSON events.
struct Emitter {
    orders: Mutex<Option<mpsc::UnboundedReceiver<Order>>>,
}

enum Order {
    File(&'static str),
    Json(&'static str, serde_json::Value),
}

impl Continuous for Emitter {
    async fn run(&self, cx: &Context) -> Result {
        let Some(mut orders) = self.orders.lock().unwrap().take() else {
            return Ok(());
        };
        while let Some(Some(order)) = cx.run_until_cancelled(orders.recv()).await {
            match order {
                Order::File(path) => {
                    cx.emit(FileCreated {
                        path: path.to_owned(),
                    })
                    .await?
                }
                Order::Json(name, value) => cx.emit_json(name, value).await?,
            }
        }
        Ok(())
    }
}

async fn start(names: &[&'static str]) -> (TestHost, Vec<mpsc::UnboundedSender<Order>>) {
    let mut builder = TestHost::builder();
    let mut senders = Vec::new();
    for name in names {
        let (sender, orders) = mpsc::unbounded_channel();
        senders.push(sender);
        let emitter = Emitter {
            orders: Mutex::new(Some(orders)),
        };
        builder = builder.service(continuous(*name, emitter));
    }
    let host = builder.start().await.unwrap();
    for name in names {
        host.wait_for(name, State::Running).await.unwrap();
    }
    (host, senders)
}

#[tokio::test(start_paused = true)]
async fn a_filtered_subscription_gets_only_matching_events_in_order() {
    let (host, senders) = start(&["watcher"]).await;
    let (got, mut heard) = mpsc::unbounded_channel();
    let _subscription = host
        .handle()
        .named("watcher")
        .on::<FileCreated>()
        .filter(|event| event.path.starts_with("cam1/"))
        .run(move |event| {
            let got = got.clone();
            async move { got.send(event.path).unwrap() }
        })
        .await
        .unwrap();
    for path in ["cam1/a.jpg", "cam2/b.jpg", "cam1/c.jpg", "cam1/end"] {
        senders[0].send(Order::File(path)).unwrap();
    }
    let mut paths = Vec::new();
    for _ in 0..3 {
        paths.push(heard.recv().await.unwrap());
    }
    assert_eq!(paths, ["cam1/a.jpg", "cam1/c.jpg", "cam1/end"]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn once_delivers_one_event_and_dropping_unsubscribes() {
    let (host, senders) = start(&["watcher"]).await;
    let services = host.handle();
    let watcher = services.named("watcher");
    let mut once = watcher.on::<FileCreated>().once().stream().await.unwrap();
    let mut dropped = watcher.on::<FileCreated>().stream().await.unwrap();
    senders[0].send(Order::File("first")).unwrap();
    assert_eq!(dropped.recv().await.unwrap().path, "first");
    drop(dropped);
    let mut kept = watcher.on::<FileCreated>().stream().await.unwrap();
    senders[0].send(Order::File("second")).unwrap();
    assert_eq!(kept.recv().await.unwrap().path, "second");
    assert_eq!(once.recv().await.unwrap().path, "first");
    assert!(
        once.recv().await.is_none(),
        "a once stream ends after its event"
    );
    assert_eq!(host.handle().subscribers(), 1, "only `kept` is left");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn wildcards_cover_a_service_or_everything_and_json_reaches_typed_subscribers() {
    let (host, senders) = start(&["left", "right"]).await;
    let services = host.handle();
    let mut everything = services.events().stream().await.unwrap();
    let mut left_only = services.named("left").events().stream().await.unwrap();
    let mut typed = services
        .named("right")
        .on::<FileCreated>()
        .stream()
        .await
        .unwrap();
    let mut by_name = services.on_named("file.created").stream().await.unwrap();

    senders[0]
        .send(Order::Json("tick", json!({"n": 1})))
        .unwrap();
    senders[1]
        .send(Order::Json("file.created", json!({"path": "from-json"})))
        .unwrap();

    let mut heard = Vec::new();
    for _ in 0..2 {
        let event = everything.recv().await.unwrap();
        heard.push(format!("{}:{}", event.service(), event.name()));
    }
    heard.sort();
    assert_eq!(heard, ["left:tick", "right:file.created"]);
    assert_eq!(left_only.recv().await.unwrap().json(), &json!({"n": 1}));
    assert_eq!(typed.recv().await.unwrap().path, "from-json");
    assert_eq!(by_name.recv().await.unwrap().service(), "right");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_subscriber_never_blocks_the_emitter_and_counts_what_it_missed() {
    let (host, senders) = start(&["watcher"]).await;
    let services = host.handle();
    let mut slow = services
        .named("watcher")
        .on::<FileCreated>()
        .buffer(2)
        .stream()
        .await
        .unwrap();
    let mut fast = services
        .named("watcher")
        .on::<FileCreated>()
        .stream()
        .await
        .unwrap();
    let paths = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    for path in paths {
        senders[0].send(Order::File(path)).unwrap();
    }
    for path in paths {
        assert_eq!(
            fast.recv().await.unwrap().path,
            path,
            "the fast one gets all"
        );
    }
    assert_eq!(slow.recv().await.unwrap().path, "0");
    assert_eq!(slow.recv().await.unwrap().path, "1");
    assert_eq!(slow.missed(), 8);
    assert_eq!(fast.missed(), 0);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn subscribing_to_an_unknown_service_is_an_error() {
    let (host, _senders) = start(&["watcher"]).await;
    let error = host
        .handle()
        .named("wacher")
        .on::<FileCreated>()
        .stream()
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "no service named `wacher`");
    host.shutdown().await;
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Tick {
    n: u32,
}

impl Event for Tick {
    const NAME: &'static str = "tick";
}

#[tokio::test(start_paused = true)]
async fn several_handlers_start_and_end_together() {
    let (host, senders) = start(&["watcher"]).await;
    let services = host.handle();
    let (heard, mut log) = mpsc::unbounded_channel::<String>();
    let files = heard.clone();
    let subscription = services
        .named("watcher")
        .subscribe()
        .on(move |file: FileCreated| {
            let files = files.clone();
            async move { files.send(format!("file {}", file.path)).unwrap() }
        })
        .on_named("tick", {
            let heard = heard.clone();
            move |event| {
                let heard = heard.clone();
                async move { heard.send(format!("tick {}", event.json()["n"])).unwrap() }
            }
        })
        .start()
        .await
        .unwrap();
    assert_eq!(services.subscribers(), 2);
    senders[0].send(Order::File("a.jpg")).unwrap();
    senders[0]
        .send(Order::Json("tick", json!({"n": 1})))
        .unwrap();
    let mut got = vec![log.recv().await.unwrap(), log.recv().await.unwrap()];
    got.sort();
    assert_eq!(got, ["file a.jpg", "tick 1"]);
    assert_eq!(subscription.missed(), 0);
    drop(subscription);
    assert_eq!(services.subscribers(), 0, "one drop ends both");

    let error = services
        .subscribe()
        .on(|_: Tick| async {})
        .with(services.named("nobody").events(), |_| async {})
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "no service named `nobody`");
    assert_eq!(services.subscribers(), 0, "all or nothing");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_typed_once_subscription_skips_events_that_are_not_its_type() {
    let (host, senders) = start(&["watcher"]).await;
    let mut once = host
        .handle()
        .named("watcher")
        .on::<FileCreated>()
        .once()
        .stream()
        .await
        .unwrap();
    let mut all = host
        .handle()
        .named("watcher")
        .events()
        .stream()
        .await
        .unwrap();
    senders[0]
        .send(Order::Json("file.created", json!({"not_a_path": 1})))
        .unwrap();
    senders[0].send(Order::File("real.jpg")).unwrap();
    all.recv().await.unwrap();
    all.recv().await.unwrap();
    assert_eq!(once.recv().await.unwrap().path, "real.jpg");
    assert!(once.recv().await.is_none());
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn streams_end_when_the_host_stops() {
    let (host, senders) = start(&["watcher"]).await;
    let mut stream = host.handle().events().stream().await.unwrap();
    senders[0].send(Order::File("last.jpg")).unwrap();
    host.shutdown().await;
    assert_eq!(
        stream.recv().await.unwrap().name(),
        "file.created",
        "what was emitted is kept"
    );
    assert!(stream.recv().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_panicking_filter_rejects_the_event_and_spares_the_emitter() {
    let (host, senders) = start(&["watcher"]).await;
    let services = host.handle();
    let mut picky = services
        .named("watcher")
        .on::<FileCreated>()
        .filter(|event| {
            assert!(event.path != "bad.jpg", "filter bug");
            true
        })
        .stream()
        .await
        .unwrap();
    senders[0].send(Order::File("bad.jpg")).unwrap();
    senders[0].send(Order::File("good.jpg")).unwrap();
    assert_eq!(picky.recv().await.unwrap().path, "good.jpg");
    assert_eq!(services.service("watcher").unwrap().state(), State::Running);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_panics_loses_that_event_and_keeps_its_subscription() {
    let (host, senders) = start(&["watcher"]).await;
    let (got, mut heard) = mpsc::unbounded_channel();
    let _subscription = host
        .handle()
        .named("watcher")
        .on::<FileCreated>()
        .run(move |event| {
            // One panics in the handler itself, one in the future it returns.
            assert!(event.path != "early.jpg", "handler bug");
            let got = got.clone();
            async move {
                assert!(event.path != "late.jpg", "handler bug");
                got.send(event.path).unwrap();
            }
        })
        .await
        .unwrap();
    // A wildcard subscription too, whose handler panics on its first event.
    let (all, mut heard_all) = mpsc::unbounded_channel();
    let mut first = true;
    let _everything = host
        .handle()
        .events()
        .run(move |event| {
            assert!(!std::mem::take(&mut first), "handler bug");
            let all = all.clone();
            async move { all.send(event.name().to_owned()).unwrap() }
        })
        .await
        .unwrap();
    for path in ["a.jpg", "early.jpg", "b.jpg", "late.jpg", "c.jpg"] {
        senders[0].send(Order::File(path)).unwrap();
    }
    let mut paths = Vec::new();
    for _ in 0..3 {
        paths.push(heard.recv().await.unwrap());
    }
    assert_eq!(paths, ["a.jpg", "b.jpg", "c.jpg"]);
    for _ in 0..4 {
        assert_eq!(heard_all.recv().await.unwrap(), "file.created");
    }
    host.shutdown().await;
}

/// `count` distinct paths that live for the whole test.
fn paths(count: usize) -> Vec<&'static str> {
    (0..count)
        .map(|index| &*Box::leak(format!("{index}.jpg").into_boxed_str()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_lossless_subscriber_holds_the_emitter_back_and_misses_nothing() {
    let (host, senders) = start(&["watcher"]).await;
    let services = host.handle();
    let subscribe = || services.named("watcher").on::<FileCreated>().buffer(2);
    let mut lossless = subscribe().lossless().stream().await.unwrap();
    let mut lossy = subscribe().stream().await.unwrap();
    let paths = paths(50);
    for path in &paths {
        senders[0].send(Order::File(path)).unwrap();
    }
    // Nothing is read until the emitter has had every chance to run ahead.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let mut received = Vec::new();
    for _ in &paths {
        received.push(lossless.recv().await.unwrap().path);
    }
    assert_eq!(received, paths, "every event, in order");
    assert_eq!(lossless.missed(), 0);
    assert_eq!(lossy.recv().await.unwrap().path, "0.jpg");
    assert_eq!(lossy.recv().await.unwrap().path, "1.jpg");
    assert_eq!(
        lossy.missed(),
        48,
        "the ordinary subscriber dropped the rest meanwhile"
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn dropping_a_lossless_subscriber_releases_the_emitter() {
    let (host, senders) = start(&["watcher"]).await;
    let services = host.handle();
    let mut everything = services
        .named("watcher")
        .on::<FileCreated>()
        .stream()
        .await
        .unwrap();
    let stuck = services
        .named("watcher")
        .on::<FileCreated>()
        .buffer(1)
        .lossless()
        .stream()
        .await
        .unwrap();
    for path in paths(3) {
        senders[0].send(Order::File(path)).unwrap();
    }
    let second = std::time::Duration::from_secs(1);
    assert_eq!(everything.recv().await.unwrap().path, "0.jpg");
    // The stuck buffer holds the first event; the second reaches everyone else,
    // then waits for room there that never comes, so the third is not emitted…
    assert_eq!(everything.recv().await.unwrap().path, "1.jpg");
    let waiting = tokio::time::timeout(second, everything.recv()).await;
    assert!(waiting.is_err(), "the emitter is held back");
    // …until the subscriber that holds it back goes away.
    drop(stuck);
    let third = tokio::time::timeout(second, everything.recv()).await;
    assert_eq!(third.unwrap().unwrap().path, "2.jpg");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn emitters_held_back_by_a_lossless_subscriber_resume_as_it_drains() {
    // Three emitters race a subscriber whose buffer is far smaller than what
    // they emit: each waits for room many times over, and is woken as the
    // buffer drains, whichever hand takes the last step down.
    let names = ["a", "b", "c"];
    let (host, senders) = start(&names).await;
    let services = host.handle();
    let mut lossless = services
        .on_named("file.created")
        .buffer(8)
        .lossless()
        .stream()
        .await
        .unwrap();
    let paths = paths(300);
    for (index, path) in paths.iter().enumerate() {
        senders[index % names.len()]
            .send(Order::File(path))
            .unwrap();
    }
    let mut received = Vec::new();
    for _ in &paths {
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), lossless.recv());
        let event = event.await.unwrap().unwrap().get::<FileCreated>().unwrap();
        received.push(event.path);
    }
    for (index, name) in names.iter().enumerate() {
        let sent: Vec<&str> = paths
            .iter()
            .skip(index)
            .step_by(names.len())
            .copied()
            .collect();
        let got: Vec<&str> = received
            .iter()
            .map(String::as_str)
            .filter(|path| sent.contains(path))
            .collect();
        assert_eq!(got, sent, "every event of {name}, in its order");
    }
    assert_eq!(lossless.missed(), 0);
    host.shutdown().await;
}
