// Initiate the rs0 replica set once; later runs see it is configured and do nothing.
try {
  rs.status();
  print("rs0 already initiated");
} catch (e) {
  rs.initiate({
    _id: "rs0",
    members: [
      { _id: 0, host: "mongo-1:27017", priority: 2 },
      { _id: 1, host: "mongo-2:27017", priority: 1 },
      { _id: 2, host: "mongo-3:27017", priority: 1 },
    ],
  });
  print("rs0 initiated");
}
// Majority writes by default, even for a client that forgets to ask.
db.adminCommand({ setDefaultRWConcern: 1, defaultWriteConcern: { w: "majority" } });
