"""The Kafka event producer: replay extracts or stream live records into a topic.

One concern per module:
  settings   the command line and environment, read once into a frozen dataclass
  timestamps event-time normalisation (vectorised parsing, ISO-8601 output)
  fragments  typed JSON fragments of text columns (numbers and booleans stay JSON types)
  events     pre-rendered payloads, stamped with the send time and turned into bytes
  replay     extracts (read by services.extracts) -> events in event-time (or shuffled)
             order, pass after pass
  live       schema engine blocks -> events, at now or on a scaled historical clock
  schedule   the pacing maths: a fixed rate without drift, or a scaled event clock
  delivery   the kafka-python client: connecting, keyed sends, bounded buffering, accounting
  runner     the send loop tying a source, a pacer and delivery together
  resume     --resume: which of a plan's messages a killed run got into the topic
             (fingerprints of the plan against the partitions' ends, read by `tails`)
  cli        `main(argv)`, SIGINT / SIGTERM as a stop (services.common.signals), used by
             services/event-generator/kafka_event_producer.py
"""
