-- One database per service (ARCHITECTURE.md): each service owns its tables.
CREATE DATABASE offers OWNER boucle;
CREATE DATABASE matching OWNER boucle;
CREATE DATABASE notifications OWNER boucle;
CREATE DATABASE reporting OWNER boucle;
