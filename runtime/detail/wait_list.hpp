// WaitList: the futures waiting on a Semaphore or a Channel, in arrival order.
//
// Each waiting future embeds a WaitNode, so queueing allocates nothing; that is why such a
// future must not move once polled (future.hpp). The owner of the list guards it with its
// own mutex. notify_one() unlinks the first node, marks it notified and hands its waker
// back to be woken after the mutex is released (waking under a lock invites lock-order
// trouble). A node that is notified but then dropped before it could act passes the
// notification on (see Semaphore and Channel), so a cancelled waiter never swallows one.
#pragma once

#include "runtime/waker.hpp"

namespace runtime::detail {

struct WaitNode {
  WaitNode* prev = nullptr;
  WaitNode* next = nullptr;
  Waker waker;
  bool linked = false;
  bool notified = false;
  // Set by the first push_back and never cleared. A node that was never queued is known to
  // no other thread, so its owner may go away without taking the list's lock: a future is
  // moved at every await, and each moved-from shell is destroyed (WaitList users' dtors).
  bool ever_linked = false;
};

class WaitList {
 public:
  bool empty() const { return head_ == nullptr; }

  void push_back(WaitNode& node) {
    node.prev = tail_;
    node.next = nullptr;
    (tail_ ? tail_->next : head_) = &node;
    tail_ = &node;
    node.linked = node.ever_linked = true;
  }

  void remove(WaitNode& node) {
    if (!node.linked) return;
    (node.prev ? node.prev->next : head_) = node.next;
    (node.next ? node.next->prev : tail_) = node.prev;
    node.prev = node.next = nullptr;
    node.linked = false;
  }

  // Unlinks the first waiter and returns its waker (empty if there was none).
  Waker notify_one() {
    WaitNode* node = head_;
    if (!node) return Waker();
    remove(*node);
    node->notified = true;
    return std::move(node->waker);
  }

 private:
  WaitNode* head_ = nullptr;
  WaitNode* tail_ = nullptr;
};

}  // namespace runtime::detail
