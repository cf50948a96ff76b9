// Local HTTP receiver for the outbox benchmark, in its own process so the measured process only
// runs the worker. Prints its port, counts requests, answers 200.
import http from 'node:http';

let count = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    count++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('message', (m) => {
  if (m === 'count') process.send({ count });
});
process.on('disconnect', () => process.exit(0));
