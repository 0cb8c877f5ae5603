//! A sleep for the clients' retries that records the waits asked for and returns at once.

use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use partner_alerts::http::AsyncSleep;

/// Records the waits asked for and returns at once.
#[derive(Debug, Default)]
pub struct NoSleep(pub Mutex<Vec<Duration>>);

impl AsyncSleep for NoSleep {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(d);
        Box::pin(async {})
    }
}
