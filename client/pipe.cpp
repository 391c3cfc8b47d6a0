#include "client/pipe.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "runtime/sleep.hpp"

namespace client {

using runtime::Task;

namespace {

std::string_view text_of(data_layer::ByteView frame) {
  const auto text = frame.subspan(data_layer::kHeaderSize);
  return {reinterpret_cast<const char*>(text.data()), text.size()};
}

// A reply that is not the request's bytes: the mismatch to count, or, if it is not even a
// valid frame, the protocol error that ends the connection (thrown).
ClientError why_not_echo(data_layer::ByteView request, data_layer::ByteView reply) {
  auto decoded = data_layer::deserialize(reply);
  if (auto* error = std::get_if<data_layer::DecodeError>(&decoded)) {
    throw ClientError(ErrorKind::kProtocol, "bad reply frame: " + error->message);
  }
  try {
    check_echo(std::get<data_layer::Data>(data_layer::deserialize(request)),
               std::get<data_layer::Data>(decoded));
  } catch (const ClientError& mismatch) {
    return mismatch;
  }
  // Equal as Data but not as bytes cannot happen (one encoding per Data); say so if it does.
  return ClientError(ErrorKind::kMismatch, "reply differs from the request's bytes");
}

}  // namespace

Task<void> Pipe::send() {
  if (batch.empty() && owed_.empty()) co_return;
  if (!owed_.empty()) co_await runtime::Sleep(backoff(load_.retry, retry_round()));
  if (!admit()) {
    co_await load_.after_refusal(target_);
    co_return;
  }
  sent_.start_batch();
  for (const InFlight& again : owed_)
    load_.add_request(again.index, sent_);
  for (const Dispenser::Claim& claim : batch)
    load_.add_request(claim.index, sent_);
  std::optional<ClientError> error;
  Clock::time_point sent_at{};
  try {
    if (!connection_) co_await ensure_connected();
    sent_at = Clock::now();
    co_await connection_->send_raw(sent_.batch(), load_.timeouts.request);
  } catch (const ClientError& caught) {
    error = caught;
  }
  for (InFlight& again : owed_) {
    again.sent_at = sent_at;
    in_flight_.push_back(again);
  }
  owed_.clear();
  for (const Dispenser::Claim& claim : batch)
    in_flight_.push_back({load_.start_of(claim, sent_at), sent_at, claim.index, 1});
  batch.clear();
  if (error) fail_all(*error);
}

// --breaker: what the target's circuit admits of the owed requests and the batch, oldest
// first (all of them while it is closed, the probe alone after a cooldown); the others are
// refused, not sent. False if nothing is left to send.
bool Pipe::admit() {
  std::size_t admitted = load_.admit(target_, owed_.size() + batch.size());
  const std::size_t owed_admitted = std::min(admitted, owed_.size());
  admitted -= owed_admitted;
  const std::size_t refused = owed_.size() - owed_admitted + batch.size() - admitted;
  for (std::size_t i = 0; i < refused; ++i)
    load_.record_refused(target_);
  owed_.resize(owed_admitted);
  batch.resize(admitted);
  return !owed_.empty() || !batch.empty();
}

// The backoff before owed requests go out again: that of the most retried one.
unsigned Pipe::retry_round() const {
  unsigned most = 2;  // an owed request is about to make its second attempt, at least
  for (const InFlight& again : owed_)
    most = std::max(most, again.attempts);
  return most - 2;  // backoff() counts retries from 0
}

Task<void> Pipe::receive() {
  if (!owed_.empty()) {
    co_await send();
    co_return;
  }
  const Clock::time_point now = Clock::now();
  if (replies_.holds_bytes() && settle_buffered(now) > 0) co_return;
  if (!connection_) co_return;
  const auto left =
      std::max(in_flight_.front().sent_at + load_.timeouts.request - now, Clock::duration::zero());
  std::optional<ClientError> error;
  std::size_t count = 0;
  try {
    count = co_await connection_->read_some(replies_.space(),
                                            std::chrono::ceil<std::chrono::milliseconds>(left));
  } catch (const ClientError& caught) {
    error = caught.kind() == ErrorKind::kTimeout ? late_reply() : caught;
  }
  if (!error && count == 0) error = closed_before_reply();
  if (error) {
    fail_all(*error);
    co_return;
  }
  replies_.commit(count);
  settle_buffered(Clock::now());
}

void Pipe::close_write() {
  if (connection_) connection_->close_write();
}

// Opens the connection the pipe lacks (its first, or the one after a failure). Its connect
// is not retried on its own: a failed connect fails the attempt of every request on it,
// which fail_all() retries as any other failure.
Task<void> Pipe::ensure_connected() {
  connection_ = co_await Connection::open(load_.targets[target_], load_.timeouts.connect);
}

// Settles every reply already in the buffer, oldest request first; returns how many. A
// malformed reply fails the connection.
std::size_t Pipe::settle_buffered(Clock::time_point now) {
  std::size_t settled = 0;
  try {
    while (!in_flight_.empty() && settle_oldest(now))
      ++settled;
  } catch (const ClientError& error) {
    fail_all(error);
  }
  return settled;
}

// Settles the oldest request in flight if its reply has arrived; false if it has not yet.
// An exact echo is recognised by its bytes alone (ReplyBuffer::take_echo). Throws
// ClientError(kProtocol) for a malformed frame, which leaves the request in flight for
// fail_all.
bool Pipe::settle_oldest(Clock::time_point now) {
  const data_layer::ByteView request = sent_.oldest();
  std::optional<ClientError> mismatch;
  if (!replies_.take_echo(request)) {
    const auto reply = replies_.next_frame();
    if (!reply) return false;
    mismatch = why_not_echo(request, *reply);
  }
  const InFlight done = in_flight_.front();
  in_flight_.pop_front();
  sent_.pop_oldest();
  if (mismatch) {
    load_.record_error(*mismatch, target_);
  } else {
    load_.record_ok(done.start, now, text_of(request), target_);  // the reply's text too
  }
  return true;
}

// The connection is unusable: every request on it is owed again if --retries allows, and
// fails with `error` otherwise; the next send() opens a fresh connection. Nothing the old
// connection brings is read any more, so no request is answered twice.
void Pipe::fail_all(const ClientError& error) {
  for (InFlight& request : in_flight_) {
    if (!load_.may_retry(error, request.attempts)) {
      load_.record_error(error, target_);
      continue;
    }
    load_.count_retry(error, request.attempts, target_);
    ++request.attempts;
    owed_.push_back(request);
  }
  in_flight_.clear();
  sent_.clear();
  replies_.clear();
  connection_.reset();
}

ClientError Pipe::late_reply() const {
  return ClientError(ErrorKind::kTimeout, "no reply within " +
                                              std::to_string(load_.timeouts.request.count()) +
                                              " ms of the request's write");
}

// The server closed with replies owed: in the middle of a frame, or between frames.
ClientError Pipe::closed_before_reply() const {
  if (replies_.holds_bytes()) {
    return ClientError(ErrorKind::kProtocol,
                       "bad reply frame: the server closed in the middle of a frame (truncated)");
  }
  return ClientError(ErrorKind::kRead, "server closed the connection before replying");
}

}  // namespace client
