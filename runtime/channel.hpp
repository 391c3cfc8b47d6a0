// Channel<T>: a bounded async queue between tasks, on one thread or across threads.
//
// send() waits while the channel is full (backpressure: a fast producer is slowed to the
// consumer's pace instead of growing a queue without bound); recv() waits while it is
// empty. close() wakes everyone: later sends fail, and receivers drain what is left and
// then get nullopt. The server's dispatcher uses one per worker to hand over connections:
// the send wakes the worker's receiving task, which unparks the worker thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/detail/wait_list.hpp"
#include "runtime/future.hpp"

namespace runtime {

template <class T>
class Channel {
 public:
  class Send;
  class Recv;

  explicit Channel(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Ready with true once the value is queued, or false if the channel was closed.
  Send send(T value) { return Send(*this, std::move(value)); }
  // Ready with the oldest value, or nullopt once the channel is closed and empty.
  Recv recv() { return Recv(*this); }
  // The oldest value if one is queued, at once and from any thread (Tokio's try_recv): for
  // a receiver that can no longer wait, such as a worker whose runtime failed.
  std::optional<T> try_recv() {
    Waker to_wake;
    std::optional<T> item;
    {
      std::lock_guard lock(mutex_);
      if (items_.empty()) return std::nullopt;
      item.emplace(std::move(items_.front()));
      items_.pop_front();
      to_wake = senders_.notify_one();
    }
    std::move(to_wake).wake();
    return item;
  }

  void close() {
    std::vector<Waker> to_wake;
    {
      std::lock_guard lock(mutex_);
      closed_.store(true, std::memory_order_release);
      drain_waiters(senders_, to_wake);
      drain_waiters(receivers_, to_wake);
    }
    for (Waker& waker : to_wake)
      std::move(waker).wake();
  }

  std::size_t size() {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

  // close() was called: later sends fail. A channel that never carries a value can serve
  // as a "stop" flag that tasks can also wait on (recv() is ready once it closes). No
  // lock: a stream connection asks at every request, and the answer is only ever a
  // moment old anyway (close() may come right after).
  bool is_closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  static void drain_waiters(detail::WaitList& list, std::vector<Waker>& out) {
    while (!list.empty())
      out.push_back(list.notify_one());
  }

  // A Send or Recv going away: it leaves the queue, and if it was woken but never acted on
  // the wake, the next waiter on its side gets it instead.
  void abandon(detail::WaitNode& node, bool done, detail::WaitList& list) {
    if (!node.ever_linked) return;  // never queued: nothing to undo (WaitNode::ever_linked)
    Waker to_wake;
    {
      std::lock_guard lock(mutex_);
      list.remove(node);
      if (node.notified && !done) to_wake = list.notify_one();
    }
    std::move(to_wake).wake();
  }

  std::mutex mutex_;
  std::deque<T> items_;
  std::size_t capacity_;
  std::atomic<bool> closed_{false};  // written under mutex_, read with it or by is_closed()
  detail::WaitList senders_;         // waiting for room
  detail::WaitList receivers_;       // waiting for an item
};

// Both futures share one shape: try under the lock; if they cannot proceed, queue their
// node with the latest waker; on success wake one waiter on the other side. A waiter that
// was notified but is dropped before it acts passes the notification on.
template <class T>
class Channel<T>::Send {
 public:
  using Output = bool;

  Send(Channel& channel, T value) : channel_(&channel), value_(std::move(value)) {}
  Send(Send&& other) noexcept : channel_(other.channel_), value_(std::move(other.value_)) {}
  ~Send() { channel_->abandon(node_, done_, channel_->senders_); }

  Poll<bool> poll(Context& cx) {
    Waker to_wake;
    {
      std::lock_guard lock(channel_->mutex_);
      if (channel_->closed_.load(std::memory_order_relaxed)) return finish(false);
      if (channel_->items_.size() >= channel_->capacity_) {
        node_.notified = false;
        node_.waker = cx.waker();
        if (!node_.linked) channel_->senders_.push_back(node_);
        return Pending{};
      }
      channel_->senders_.remove(node_);
      // If this move throws, `notified` is still set, and ~Send passes the turn on.
      channel_->items_.push_back(std::move(*value_));
      node_.notified = false;
      to_wake = channel_->receivers_.notify_one();
    }
    std::move(to_wake).wake();
    return finish(true);
  }

 private:
  bool finish(bool sent) {
    done_ = true;
    return sent;
  }

  Channel* channel_;
  std::optional<T> value_;
  detail::WaitNode node_;
  bool done_ = false;
};

template <class T>
class Channel<T>::Recv {
 public:
  using Output = std::optional<T>;

  explicit Recv(Channel& channel) : channel_(&channel) {}
  Recv(Recv&& other) noexcept : channel_(other.channel_) {}
  ~Recv() { channel_->abandon(node_, done_, channel_->receivers_); }

  Poll<std::optional<T>> poll(Context& cx) {
    Waker to_wake;
    std::optional<T> item;
    {
      std::lock_guard lock(channel_->mutex_);
      if (channel_->items_.empty()) {
        if (channel_->closed_.load(std::memory_order_relaxed)) return finish(std::nullopt);
        node_.notified = false;
        node_.waker = cx.waker();
        if (!node_.linked) channel_->receivers_.push_back(node_);
        return Pending{};
      }
      channel_->receivers_.remove(node_);
      // If this move throws, `notified` is still set, and ~Recv passes the turn on.
      item.emplace(std::move(channel_->items_.front()));
      channel_->items_.pop_front();
      node_.notified = false;
      to_wake = channel_->senders_.notify_one();
    }
    std::move(to_wake).wake();
    return finish(std::move(item));
  }

 private:
  std::optional<T> finish(std::optional<T> item) {
    done_ = true;
    return item;
  }

  Channel* channel_;
  detail::WaitNode node_;
  bool done_ = false;
};

}  // namespace runtime
