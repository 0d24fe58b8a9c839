package etcdstore

// PutRaw writes value under key (below s's prefix) outside any
// transaction, as someone with write access to etcd could.
func PutRaw(s *Store, key, value string) error {
	_, err := s.cli.Put(s.cli.Ctx(), s.prefix+key, value)
	return err
}

// ExpireForTest revokes t's lease, as its expiry would (the leader paused
// or cut off past the lease).
func ExpireForTest(t *Term) error {
	_, err := t.session.Client().Revoke(t.session.Client().Ctx(), t.session.Lease())
	return err
}
