import t from 'tap';
import { parseAuthArgv, PasswordCheck } from '../../src/protocol/auth.js';

t.test('AUTH argv: [user] password', async (t) => {
  t.same(parseAuthArgv(['AUTH', 'pw']), { user: 'default', password: 'pw' });
  t.same(parseAuthArgv(['auth', 'bob', 'pw']), { user: 'bob', password: 'pw' });
  t.equal(parseAuthArgv(['AUTH']), null);
  t.equal(parseAuthArgv(['AUTH', 'a', 'b', 'c']), null);
});

t.test('with a password: only the default user with the right password', async (t) => {
  const check = new PasswordCheck('s3cret');
  t.equal(check.required, true);
  t.equal(check.verify({ user: 'default', password: 's3cret' }, false), null);
  t.equal(check.verify({ user: 'default', password: 's3cret' }, true), null);
  t.equal(check.verify({ user: 'default', password: 's3cre' }, false)?.code, 'WRONGPASS', 'a prefix is wrong');
  t.equal(check.verify({ user: 'default', password: 's3cret!' }, false)?.code, 'WRONGPASS', 'a longer one too');
  t.equal(check.verify({ user: 'root', password: 's3cret' }, true)?.code, 'WRONGPASS');
});

t.test('without a password: as Redis without requirepass', async (t) => {
  const check = new PasswordCheck(null);
  t.equal(check.required, false);
  t.match(check.verify({ user: 'default', password: 'x' }, false)?.message, /^AUTH <password> called without any password configured for the default user/);
  t.equal(check.verify({ user: 'default', password: 'x' }, true), null, 'AUTH default <anything> is OK (nopass user)');
  t.equal(check.verify({ user: 'bob', password: 'x' }, true)?.code, 'WRONGPASS');
});
