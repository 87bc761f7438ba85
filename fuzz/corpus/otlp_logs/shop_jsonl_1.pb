
^


service.name
dbD

shop:	À£¿2[Ë	INFO*'
%slow query: SELECT accounts took 14ms