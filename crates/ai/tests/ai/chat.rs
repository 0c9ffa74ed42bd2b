use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use ferrodesk_ai::{AiError, CannedChatModel, ChatMessage, ChatModel, ChatRole};

/// The canned model never waits, so one poll completes it (no runtime needed).
fn ready<T>(future: impl Future<Output = T>) -> T {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the canned model should answer at once"),
    }
}

#[test]
fn canned_chat_model_is_usable_behind_dyn() {
    let messages = [ChatMessage::new(ChatRole::User, "hello")];
    let model: Box<dyn ChatModel> = Box::new(CannedChatModel::replying("Hi there"));
    assert_eq!(ready(model.complete(&messages)).unwrap(), "Hi there");
    let failing: Box<dyn ChatModel> = Box::new(CannedChatModel::failing("down"));
    assert!(matches!(ready(failing.complete(&messages)), Err(AiError::Chat(_))));
}
