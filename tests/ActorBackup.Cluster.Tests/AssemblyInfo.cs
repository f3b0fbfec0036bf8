// Every test runs a cluster of OS processes with a 3 s failure detector on a 2-core machine:
// two clusters at once would starve each other's heartbeats and down healthy nodes.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
