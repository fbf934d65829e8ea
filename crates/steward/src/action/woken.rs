//! A future polled only when it asked to be: for waits that sit beside busy ones.
//!
//! A task that serves a mailbox is woken for every action, and `select!` polls
//! every branch at each wake. A branch that waits for something rare (the
//! service's own `run`, its cancellation) would be polled for nothing each time,
//! and a cancellation wait takes a lock to poll. Wrapped in [`Woken`], such a
//! branch is polled once, then again only after it woke its task.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// `future`, polled at first and then only after it woke its task.
pub(crate) struct Woken<F> {
    future: Pin<Box<F>>,
    flag: Arc<Flag>,
    /// `flag` as a waker, made once.
    waker: Waker,
}

/// Whether the inner future was woken since its last poll, and whom to tell.
struct Flag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future> Woken<F> {
    /// Boxes `future` (once: it is meant for waits that last).
    pub(crate) fn new(future: F) -> Self {
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Self {
            future: Box::pin(future),
            waker: Waker::from(flag.clone()),
            flag,
        }
    }
}

impl<F: Future> Future for Woken<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        // Registered before the flag is read: a wake from now on reaches this task.
        this.flag.task.register(cx.waker());
        if !this.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        this.future
            .as_mut()
            .poll(&mut Context::from_waker(&this.waker))
    }
}

// The inner future is boxed: moving a `Woken` never moves it.
impl<F> Unpin for Woken<F> {}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Counts its polls; ready once `open` is set, waking whoever waits on `notify`.
    struct Counted<'a> {
        polls: &'a AtomicUsize,
        notify: &'a tokio::sync::Notify,
    }

    impl Counted<'_> {
        async fn run(self) -> usize {
            self.polls.fetch_add(1, Ordering::Relaxed);
            self.notify.notified().await;
            self.polls.fetch_add(1, Ordering::Relaxed)
        }
    }

    #[tokio::test]
    async fn polled_again_only_after_a_wake() {
        let polls = AtomicUsize::new(0);
        let notify = tokio::sync::Notify::new();
        let mut woken = Woken::new(
            Counted {
                polls: &polls,
                notify: &notify,
            }
            .run(),
        );
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        for _ in 0..5 {
            assert!(Pin::new(&mut woken).poll(&mut cx).is_pending());
        }
        assert_eq!(
            polls.load(Ordering::Relaxed),
            1,
            "polled once, then left alone"
        );
        notify.notify_one();
        assert_eq!(Pin::new(&mut woken).poll(&mut cx), Poll::Ready(1));
    }

    #[tokio::test]
    async fn a_wake_reaches_the_task_that_polled_last() {
        let notify = Arc::new(tokio::sync::Notify::new());
        let waiting = notify.clone();
        let task = tokio::spawn(Woken::new(async move { waiting.notified().await }));
        tokio::task::yield_now().await;
        notify.notify_one();
        tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("the wrapped wait never finished"));
    }
}
