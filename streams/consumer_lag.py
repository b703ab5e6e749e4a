"""Consumer lag of the faust workers, per consumer group and partition, as a Prometheus gauge.

Every ``LAG_INTERVAL_S`` each worker measures the partitions assigned to it right now: the end
offset from the broker (faust's ``highwaters``) less the offset its group has committed (read
from the group coordinator with an admin client, the same figure ``kafka-consumer-groups.sh``
shows). Each partition is assigned to one worker of the group at a time, so scaling out never
counts a partition twice; a partition that moves away is removed from this worker's gauge.
Changelog partitions (table recovery, not committed by the group) are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

import faust
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams import metrics
from streams.settings import Settings

log = logging.getLogger(__name__)

LAG_INTERVAL_S: Final = 10.0


class PartitionLag(NamedTuple):
    topic: str
    partition: int
    lag: int


def partition_lags(
    assigned: Iterable[tuple[str, int]],
    end_offsets: Mapping[tuple[str, int], int],
    committed: Mapping[tuple[str, int], int | None],
) -> list[PartitionLag]:
    """Lag of each assigned partition whose end offset is known; nothing committed yet means
    everything from the start of the partition is still to do (lag = end offset)."""
    found = []
    for topic, partition in sorted(assigned):
        if topic.endswith("-changelog"):
            continue
        end = end_offsets.get((topic, partition))
        if end is None:
            continue
        done = committed.get((topic, partition))
        found.append(
            PartitionLag(topic, partition, max(0, end - (done if done and done > 0 else 0)))
        )
    return found


class LagRecorder:
    """Measures this worker's assigned partitions and keeps the gauge to exactly those."""

    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.group = str(app.conf.id)
        self._admin: AIOKafkaAdminClient | None = None
        self._shown: set[tuple[str, int]] = set()

    async def _client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.settings.kafka_bootstrap,
                client_id=f"{self.group}-lag",
                **self.settings.kafka_client_options(),
            )
            await admin.start()
            self._admin = admin
        return self._admin

    async def record(self) -> list[PartitionLag]:
        """One measurement; the gauge afterwards holds exactly the partitions measured."""
        assigned = [
            tp for tp in self.app.consumer.assignment() if not tp.topic.endswith("-changelog")
        ]
        lags: list[PartitionLag] = []
        if assigned:
            highwaters: Mapping[Any, int] = await self.app.consumer.highwaters(*assigned)
            offsets = await (await self._client()).list_consumer_group_offsets(
                self.group, partitions=[TopicPartition(tp.topic, tp.partition) for tp in assigned]
            )
            lags = partition_lags(
                [(tp.topic, tp.partition) for tp in assigned],
                {(tp.topic, tp.partition): end for tp, end in highwaters.items()},
                {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()},
            )
        now = {(lag.topic, lag.partition) for lag in lags}
        for topic, partition in self._shown - now:
            metrics.CONSUMER_LAG.remove(self.group, topic, str(partition))
        for lag in lags:
            metrics.CONSUMER_LAG.labels(self.group, lag.topic, str(lag.partition)).set(lag.lag)
        self._shown = now
        return lags

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


def register(app: faust.App, settings: Settings) -> LagRecorder:
    """Measure consumer lag on a timer in every worker (not only the leader)."""
    recorder = LagRecorder(app, settings)

    @app.timer(interval=LAG_INTERVAL_S, name="hub-consumer-lag")  # type: ignore[untyped-decorator]
    async def record_consumer_lag() -> None:
        try:
            await recorder.record()
        except Exception as exc:  # a measurement must never stop the worker
            log.warning("consumer lag not measured this time (%s)", type(exc).__name__)
            await recorder.close()

    return recorder
