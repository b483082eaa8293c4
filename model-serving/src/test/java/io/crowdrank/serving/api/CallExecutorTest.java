package io.crowdrank.serving.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CallExecutorTest {
  CallExecutor calls;

  @AfterEach
  void close() {
    if (calls != null) {
      calls.close();
    }
  }

  /** Occupies the executor's only thread until the returned latch is counted down. */
  private CountDownLatch blockTheThread() throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    assertThat(
            calls.execute(
                () -> {
                  running.countDown();
                  await(release);
                }))
        .isTrue();
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
    return release;
  }

  /** A batch that records what it was handed; {@code joins} says whether it takes company. */
  static final class Recorded<T> implements CallExecutor.Batch<T> {
    final List<List<T>> batches = Collections.synchronizedList(new ArrayList<>());
    private final boolean joins;
    private final CountDownLatch done;

    Recorded(boolean joins, int expectedBatches) {
      this.joins = joins;
      this.done = new CountDownLatch(expectedBatches);
    }

    @Override
    public void run(List<T> calls) {
      batches.add(calls);
      done.countDown();
    }

    @Override
    public boolean joins() {
      return joins;
    }

    List<List<T>> awaited() throws InterruptedException {
      assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
      return batches;
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void execute_runsTheCallOnAnExecutorThread() throws InterruptedException {
    calls = new CallExecutor(2, 10, 8);
    List<String> threads = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(1);

    assertThat(
            calls.execute(
                () -> {
                  threads.add(Thread.currentThread().getName());
                  done.countDown();
                }))
        .isTrue();

    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(threads).singleElement().asString().startsWith("crowdrank-call-");
  }

  @Test
  void execute_queueFull_refusesAtOnce_countsIt_andSaysResourceExhausted()
      throws InterruptedException {
    calls = new CallExecutor(1, 2, 8);
    CountDownLatch release = blockTheThread();
    CountDownLatch ran = new CountDownLatch(2);

    assertThat(calls.execute(ran::countDown)).isTrue();
    assertThat(calls.execute(ran::countDown)).isTrue();
    assertThat(calls.execute(ran::countDown)).isFalse();

    assertThat(calls.queued()).isEqualTo(2);
    assertThat(calls.rejected()).isEqualTo(1);
    assertThat(calls.overloaded().getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(calls.overloaded().getStatus().getDescription()).contains("2 calls already waiting");
    release.countDown();
    assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void batch_callsWaitingTogether_runTogetherInOrder_atMostMaxBatch() throws InterruptedException {
    calls = new CallExecutor(1, 100, 4);
    CountDownLatch release = blockTheThread();
    Recorded<Integer> batch = new Recorded<>(true, 3);
    for (int i = 0; i < 10; i++) {
      assertThat(calls.execute(i, batch)).isTrue();
    }

    release.countDown();

    assertThat(batch.awaited())
        .containsExactly(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7), List.of(8, 9));
    assertThat(calls.batchedCalls()).isEqualTo(11); // and the blocking call
    assertThat(calls.batches()).isEqualTo(4);
  }

  @Test
  void batch_takesItsThreadsShareOfTheWaitingCalls_leavingTheRestToTheOthers()
      throws InterruptedException {
    calls = new CallExecutor(2, 100, 8);
    CountDownLatch first = blockTheThread();
    CountDownLatch second = blockTheThread();
    Recorded<Integer> batch = new Recorded<>(true, 3);
    for (int i = 0; i < 6; i++) {
      calls.execute(i, batch);
    }

    // One thread free: it takes 1 + 5 / 2 of the six, then 1 + 2 / 2 of the three left, then one.
    first.countDown();

    assertThat(batch.awaited()).containsExactly(List.of(0, 1, 2), List.of(3, 4), List.of(5));
    second.countDown();
  }

  @Test
  void batch_thatDoesNotJoinNow_runsEachCallAlone() throws InterruptedException {
    calls = new CallExecutor(1, 100, 8);
    CountDownLatch release = blockTheThread();
    Recorded<Integer> alone = new Recorded<>(false, 3);
    for (int i = 0; i < 3; i++) {
      calls.execute(i, alone);
    }

    release.countDown();

    assertThat(alone.awaited()).containsExactly(List.of(0), List.of(1), List.of(2));
  }

  @Test
  void batch_aCallOfAnotherKind_endsTheBatch_andRunsNext() throws InterruptedException {
    calls = new CallExecutor(1, 100, 8);
    CountDownLatch release = blockTheThread();
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(3);
    CallExecutor.Batch<String> batch =
        b -> {
          order.add(String.join("+", b));
          done.countDown();
        };
    calls.execute("a", batch);
    calls.execute("b", batch);
    calls.execute(
        () -> {
          order.add("plain");
          done.countDown();
        });
    calls.execute("c", batch);

    release.countDown();

    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactly("a+b", "plain", "c");
  }

  @Test
  void aBatchThatThrows_doesNotStopTheThread() throws InterruptedException {
    calls = new CallExecutor(1, 10, 8);
    CountDownLatch after = new CountDownLatch(1);

    calls.execute(
        () -> {
          throw new IllegalStateException("bug");
        });
    calls.execute(after::countDown);

    assertThat(after.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void closed_refusesNewCalls() {
    calls = new CallExecutor(1, 10, 8);
    calls.close();

    assertThat(calls.execute(() -> {})).isFalse();
  }

  @Test
  void badSettings_areRefusedWithTheirName() {
    assertThatThrownBy(() -> new CallExecutor(0, 10, 8)).hasMessageContaining("threads");
    assertThatThrownBy(() -> new CallExecutor(1, 0, 8)).hasMessageContaining("capacity");
    assertThatThrownBy(() -> new CallExecutor(1, 10, 0)).hasMessageContaining("maxBatch");
  }
}
