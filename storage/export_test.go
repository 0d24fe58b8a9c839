package storage

// SkipFsyncForTest turns bbolt's fsync off for tests whose subject is not
// durability, so the suite stays fast on slow disks.
func SkipFsyncForTest(db *DB) { db.bolt.NoSync = true }

// EtcdEndpoint is the embedded etcd that TestMain starts, for the tests
// that run against every backend (backends_test.go).
var EtcdEndpoint string
